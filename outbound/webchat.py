"""Acknowledgments and staff replies to a web chat visitor, shown in the open widget and kept for later.

Frontdesk's own widget protocol (docs/channels/webchat.md): the text is first
recorded on the delivery's row in the case store (the visitor's history on
any later visit), then announced with Redis PUBLISH
(https://redis.io/docs/latest/commands/publish/) on the conversation's live
channel, where whichever server process holds the visitor's socket pushes it
to the widget. Re-sending is harmless: the line keeps its id (`d:<delivery
key>`) and the widget shows it once.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from functools import cached_property

import redis
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from frontdesk.models import DeliveryResult, Message, Rendered, utcnow
from frontdesk.sender import SenderContext
from frontdesk.store.transcripts import delivery_entry_id, live_channel, record_sent_text, transcript_sessions

log = logging.getLogger(__name__)
SLUG = "webchat"
_CONVERSATION = re.compile(r"^[A-Za-z0-9_-]{22}$")


class WebchatSender:
    """Records a line for the visitor's conversation and pushes it to their open widget."""

    slug = SLUG
    resend_safe = True  # the line's id is the delivery key; the widget shows each id once

    def __init__(self, settings: object, context: SenderContext):
        self.settings = settings
        self.context = context

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """The case store, where each delivered line is kept."""
        provided = self.context.extra.get("sessions")
        return provided or transcript_sessions(self.context.settings)

    def reply_target(self, message: Message) -> str | None:
        """The visitor's conversation id, for messages that came by web chat."""
        conversation = message.reply_to.get("conversation", "")
        return conversation if message.channel == SLUG and _CONVERSATION.match(conversation) else None

    def send(self, target: str, rendered: Rendered) -> DeliveryResult:
        """Record, then publish; a store failure is retryable, a failed push is not (the history has it)."""
        if not _CONVERSATION.match(target):
            return DeliveryResult(target=target, status="failed", error="not a web chat conversation id")
        key = rendered.idempotency_key or f"unkeyed:{secrets.token_hex(8)}"
        at = utcnow()
        text = rendered.text.strip()
        recorded = False
        if rendered.idempotency_key:
            try:
                with self.sessions.begin() as session:
                    recorded = record_sent_text(session, key, text, at)
            except SQLAlchemyError as error:
                return DeliveryResult(target=target, status="failed", retryable=True,
                                      error=f"store unavailable: {type(error).__name__}")
        line = {"id": delivery_entry_id(key), "kind": rendered.kind, "text": text, "at": at.isoformat()}
        frame = json.dumps({"type": "event", "event": line})
        try:
            listeners = self.context.redis.publish(live_channel(SLUG, target), frame)
        except redis.RedisError as error:
            log.warning("webchat: live push failed (%s); the line waits in the history", type(error).__name__)
            return DeliveryResult(target=target, status="sent" if recorded else "failed", retryable=not recorded,
                                  provider_id=line["id"], error=None if recorded else "redis unavailable",
                                  detail="recorded; live push failed")
        detail = f"recorded={recorded}; pushed to {listeners} server process(es)"
        return DeliveryResult(target=target, status="sent", provider_id=line["id"], detail=detail)
