"""A conversation's history as the widget shows it, read from the case store.

Routed visitor messages and the acknowledgments and replies sent to the
conversation come from `frontdesk.store.transcripts`; visitor messages still
waiting for the router come from their raw payloads, so a visitor who
reloads at once still sees what they wrote.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channels.webchat.parse import SLUG, parse
from frontdesk.errors import MalformedPayloadError, UnsupportedEventError
from frontdesk.models import Message, RawInbound
from frontdesk.store.db import read_session
from frontdesk.store.tables import RawPayload
from frontdesk.store.transcripts import INBOUND, TranscriptEntry, message_entry_id, transcript

VISITOR = "visitor"


def client_id_of(external_id: str | None) -> str | None:
    """The widget's id for a message, the part of `<conversation>:<client id>` after the colon."""
    return external_id.partition(":")[2] or None if external_id else None


def event(entry_id: str, kind: str, text: str, at: datetime, external_id: str | None = None) -> dict:
    """One line as the widget receives it: `{"id", "kind", "text", "at", "client_id"?}`."""
    line = {"id": entry_id, "kind": kind, "text": text, "at": at.isoformat()}
    client_id = client_id_of(external_id)
    if client_id:
        line["client_id"] = client_id
    return line


def visitor_event(message: Message) -> dict:
    """The line for a visitor's message."""
    return event(message_entry_id(message.id), VISITOR, message.text, message.received_at, message.external_id)


def _from_transcript(entry: TranscriptEntry) -> dict:
    kind = VISITOR if entry.kind == INBOUND else entry.kind
    return event(entry.id, kind, entry.text, entry.at, entry.external_id)


def _pending(session: Session, conversation: str) -> list[dict]:
    prefix = f"{SLUG}:{conversation}:".replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
    rows = session.scalars(select(RawPayload).where(
        RawPayload.status == "pending", RawPayload.channel == SLUG,
        RawPayload.idempotency_key.like(prefix + "%", escape="\\"),
    ).order_by(RawPayload.received_at).limit(100))
    lines = []
    for row in rows:
        raw = RawInbound(id=row.id, channel=row.channel, external_id=row.idempotency_key.split(":", 1)[1],
                         received_at=row.received_at, body=row.body, meta=row.meta)
        try:
            lines.append(visitor_event(parse(raw)))
        except (MalformedPayloadError, UnsupportedEventError):
            continue
    return lines


def conversation_events(sessions: sessionmaker[Session], conversation: str, limit: int) -> list[dict]:
    """The last `limit` lines of the conversation, oldest first (blocking: run it in a thread)."""
    with read_session(sessions) as session:
        lines = [_from_transcript(entry) for entry in transcript(session, SLUG, conversation, conversation, limit)]
        known = {line["id"] for line in lines}
        lines += [line for line in _pending(session, conversation) if line["id"] not in known]
    lines.sort(key=lambda line: line["at"])
    return lines[-limit:]
