"""What the socket and the REST fallback share: starting conversations, taking frames, reading history.

A visitor frame is checked with the pure parser, handed to `accept` (which
returns once it is committed and queued), and only then answered with a
`received` frame (ARCHITECTURE invariant 1). A frame the parser rejects is
kept as a quarantined record (without opening a case) and answered with an
error naming the field.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from channels.webchat.history import conversation_events, visitor_event
from channels.webchat.hub import Hub
from channels.webchat.parse import CLIENT_ID, SLUG, parse, read_frame
from channels.webchat.tokens import Conversation, TokenSigner
from config.webchat import WebchatChannelSettings
from frontdesk.channel import Accept
from frontdesk.errors import IntakeUnavailableError, MalformedPayloadError, UnsupportedEventError
from frontdesk.models import RawInbound, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """The answer to one frame: the frame to send back, and the HTTP status the REST path uses."""

    frame: dict
    status: int


def error_frame(message: str, *, client_id: str | None = None, field: str | None = None, retry: bool = False) -> dict:
    """An `error` frame; `retry` tells the widget to keep the message and send it again later."""
    frame: dict = {"type": "error", "error": message}
    if client_id:
        frame["client_id"] = client_id
    if field:
        frame["field"] = field
    if retry:
        frame["retry"] = True
    return frame


class ChatService:
    """Conversations, frames and history for one server process."""

    def __init__(self, settings: WebchatChannelSettings, signer: TokenSigner, sessions: sessionmaker[Session],
                 hub: Hub, accept: Accept):
        self.settings = settings
        self.signer = signer
        self.sessions = sessions
        self.hub = hub
        self.accept = accept

    def welcome(self, conversation: Conversation, events: list[dict]) -> dict:
        """The first frame of every socket and event stream."""
        return {"type": "welcome", "token": conversation.token, "conversation": conversation.id,
                "title": self.settings.title, "complaint_form": self.settings.complaint_form,
                "max_bytes": self.settings.max_message_bytes, "events": events}

    async def history(self, conversation: Conversation) -> list[dict]:
        """The conversation's last lines from the store."""
        return await asyncio.to_thread(conversation_events, self.sessions, conversation.id, self.settings.history_limit)

    async def submit(self, conversation: Conversation, body: bytes) -> Reply:
        """Validate, commit and queue one visitor frame; the reply says what became of it."""
        client_id = _client_id_hint(body)
        try:
            client_id = read_frame(body).client_id
            external_id = f"{conversation.id}:{client_id}"
            meta = {"conversation": conversation.id}
            message = parse(RawInbound(id="-", channel=SLUG, external_id=external_id, received_at=utcnow(),
                                       body=body, meta=meta))
        except UnsupportedEventError as error:
            return Reply(error_frame(str(error)), 400)
        except MalformedPayloadError as error:
            await self._quarantine(conversation, body, error)
            return Reply(error_frame(str(error), client_id=client_id, field=error.field), 400)
        try:
            accepted = await self.accept(SLUG, external_id, body, meta=meta)
        except IntakeUnavailableError:
            return Reply(error_frame("we could not take your message just now", client_id=client_id, retry=True), 503)
        line = visitor_event(message.model_copy(update={"id": accepted.message_id}))
        if not accepted.duplicate:
            await self.hub.publish(conversation.id, line)
        return Reply({"type": "received", "client_id": client_id, "id": accepted.message_id, "event": line}, 202)

    async def _quarantine(self, conversation: Conversation, body: bytes, error: MalformedPayloadError) -> None:
        try:
            await self.accept(SLUG, "", body, meta={"conversation": conversation.id}, quarantine=str(error))
        except IntakeUnavailableError:
            log.warning("webchat: could not keep a rejected frame: intake unavailable")


def _client_id_hint(body: bytes) -> str | None:
    """The frame's client id when one can be read, so the widget can mark which message was refused."""
    try:
        client_id = json.loads(body).get("client_id")
    except (ValueError, AttributeError):
        return None
    return client_id if isinstance(client_id, str) and re.match(CLIENT_ID, client_id) else None
