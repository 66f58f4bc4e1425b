"""Parse bodies of Frontdesk's own generic intake API (`POST /api/messages`).

The API is Frontdesk's own, documented in README.md ("The generic HTTP
channel"). Pure: bytes in, Message out, no I/O.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from frontdesk.errors import MalformedPayloadError
from frontdesk.models import Contact, Message, RawInbound

SLUG = "api"


class SenderBody(BaseModel):
    """The `sender` object of a request body."""

    model_config = ConfigDict(extra="forbid")
    handle: str = Field(min_length=1, max_length=256)
    name: str | None = Field(None, max_length=256)
    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


class MessageBody(BaseModel):
    """A request body of `POST /api/messages`."""

    model_config = ConfigDict(extra="forbid")
    external_id: str = Field(min_length=1, max_length=256)
    sender: SenderBody
    text: str = Field(min_length=1, max_length=200_000)
    subject: str | None = Field(None, max_length=1000)
    thread_key: str | None = Field(None, min_length=1, max_length=256)
    sent_at: datetime | None = None


def read_body(body: bytes) -> MessageBody:
    """Validate a request body; MalformedPayloadError names the first bad field."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedPayloadError(f"body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise MalformedPayloadError("body must be a JSON object")
    try:
        parsed = MessageBody.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(body)"
        raise MalformedPayloadError(f"{field}: {first['msg']}", field=field) from None
    if parsed.sent_at is not None and parsed.sent_at.tzinfo is None:
        raise MalformedPayloadError("sent_at: needs a timezone offset (RFC 3339)", field="sent_at")
    return parsed


def parse_message(raw: RawInbound) -> Message:
    """Turn one stored request body into a Message; the client name comes from `raw.meta`."""
    body = read_body(raw.body)
    client = raw.meta.get("client", "default")
    thread_key = f"{client}:{body.thread_key}" if body.thread_key else None
    return Message(
        id=raw.id,
        channel=SLUG,
        external_id=raw.external_id,
        sender=Contact(channel=SLUG, handle=f"{client}:{body.sender.handle}", name=body.sender.name,
                       email=body.sender.email.lower() if body.sender.email else None),
        text=body.text,
        subject=body.subject,
        thread_key=thread_key,
        sent_at=(body.sent_at or raw.received_at).astimezone(timezone.utc),
        received_at=raw.received_at,
        reply_to={"client": client},
    )


PARSERS = {"message": parse_message}


def parse(raw: RawInbound) -> Message:
    """Dispatch on the event type (the generic API has one: a message)."""
    return PARSERS[raw.meta.get("event", "message")](raw)


def external_id_for(client: str, body: MessageBody) -> str:
    """The provider event id: the client's name and its own id, so clients never collide."""
    return f"{client}:{body.external_id}"
