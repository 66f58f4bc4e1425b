"""Parse what a web chat visitor sent: a chat message or the complaint form.

The wire format is Frontdesk's own widget protocol (docs/channels/webchat.md,
"Frames"), spoken by channels/webchat/static/widget.js over the WebSocket at
`/chat/ws` or the REST fallback `POST /chat/messages`. The stored body is the
visitor's frame exactly as received; the conversation id comes from the
verified token and travels in `raw.meta["conversation"]` (the token itself is
never stored). Pure: no I/O.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from frontdesk.errors import MalformedPayloadError, UnsupportedEventError
from frontdesk.models import Contact, Message, RawInbound

SLUG = "webchat"
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
CLIENT_ID = r"^[A-Za-z0-9_-]{1,64}$"
_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]+\.[^@\s<>\"]+$")
# C0/C1 controls other than tab and newline carry no meaning in a chat and confuse terminals and logs.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MessageFrame(_Frame):
    """`{"type": "message", "client_id", "text"}`: one chat line."""

    type: Literal["message"]
    client_id: str = Field(pattern=CLIENT_ID)
    text: str = Field(min_length=1, max_length=12_000)


class ComplaintForm(_Frame):
    """The four answers a complaint procedure needs."""

    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(min_length=1, max_length=320)
    what_happened: str = Field(min_length=1, max_length=8_000)
    desired_outcome: str = Field(min_length=1, max_length=3_000)


class ComplaintFrame(_Frame):
    """`{"type": "complaint", "client_id", "form": {...}}`: the form sent before the conversation."""

    type: Literal["complaint"]
    client_id: str = Field(pattern=CLIENT_ID)
    form: ComplaintForm


FRAMES: dict[str, type[_Frame]] = {"message": MessageFrame, "complaint": ComplaintFrame}


def read_frame(body: bytes | str) -> MessageFrame | ComplaintFrame:
    """Validate one visitor frame; MalformedPayloadError names the first bad field.

    A JSON object whose `type` is not a visitor event raises UnsupportedEventError.
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedPayloadError(f"frame is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise MalformedPayloadError("frame must be a JSON object")
    model = FRAMES.get(data.get("type"))  # type: ignore[arg-type]
    if model is None:
        raise UnsupportedEventError(f"not a visitor event: type={str(data.get('type'))[:40]!r}")
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(frame)"
        raise MalformedPayloadError(f"{field}: {first['msg']}", field=field) from None


def clean_text(text: str) -> str:
    """NFC-normalise, unify line ends and drop control characters; the text is otherwise kept as written."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROLS.sub("", text).strip()


def conversation_of(raw: RawInbound) -> str:
    """The verified conversation id the transport put in `raw.meta`."""
    conversation = raw.meta.get("conversation", "")
    if not CONVERSATION_ID.match(conversation):
        raise MalformedPayloadError("meta.conversation: missing or not a conversation id", field="meta.conversation")
    return conversation


def _message(raw: RawInbound, text: str, contact: Contact) -> Message:
    if not text:
        raise MalformedPayloadError("text: empty once control characters are removed", field="text")
    conversation = contact.handle
    return Message(
        id=raw.id,
        channel=SLUG,
        external_id=raw.external_id,
        sender=contact,
        text=text,
        thread_key=conversation,
        sent_at=raw.received_at,
        received_at=raw.received_at,
        reply_to={"conversation": conversation},
    )


def parse_message(raw: RawInbound) -> Message:
    """A chat line: the visitor is known only by the conversation."""
    frame = read_frame(raw.body)
    if not isinstance(frame, MessageFrame):
        raise MalformedPayloadError("type: expected a message frame", field="type")
    return _message(raw, clean_text(frame.text), Contact(channel=SLUG, handle=conversation_of(raw)))


def parse_complaint(raw: RawInbound) -> Message:
    """The complaint form; a typed email address is kept as unverified and grants nothing."""
    frame = read_frame(raw.body)
    if not isinstance(frame, ComplaintFrame):
        raise MalformedPayloadError("type: expected a complaint frame", field="type")
    form = frame.form
    contact = clean_text(form.contact)
    email = contact.lower() if _EMAIL.match(contact) else None
    parts = [clean_text(form.what_happened), f"Outcome wanted: {clean_text(form.desired_outcome)}"]
    if email is None:
        parts.append(f"Contact given: {contact}")
    sender = Contact(channel=SLUG, handle=conversation_of(raw), name=clean_text(form.name) or None,
                     email=email, email_verified=False)
    return _message(raw, "\n\n".join(parts), sender)


PARSERS: dict[str, Callable[[RawInbound], Message]] = {"message": parse_message, "complaint": parse_complaint}


def parse(raw: RawInbound) -> Message:
    """Turn one stored visitor frame into a Message, choosing the parser by the frame's `type`."""
    frame = read_frame(raw.body)
    return PARSERS[frame.type](raw)
