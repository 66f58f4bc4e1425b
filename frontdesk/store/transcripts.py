"""A conversation's transcript from the store: what the contact wrote and what was sent back, in order.

For channels that hold a conversation open, such as the web chat: the inbound
`messages` rows of the cases that the conversation's thread key leads to,
and the outbound `deliveries` rows sent to that conversation whose sender
kept the delivered text with `record_sent_text`. Channel-neutral: the channel
slug, thread key and delivery target are parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from frontdesk.privacy.crypto import attach_keyring
from frontdesk.privacy.setup import keyring_for
from frontdesk.store.db import make_engine, make_sessions
from frontdesk.store.tables import Delivery, MessageRow, ThreadKey

SENT_TEXT = "sent_text"
SENT_AT = "sent_at"
INBOUND = "inbound"


@dataclass(frozen=True)
class TranscriptEntry:
    """One line of a transcript: `id` is `m:<message id>` or `d:<delivery key>`; `kind` is
    `inbound` or the delivery's kind (`ack`, `reply`, …)."""

    id: str
    kind: str
    text: str
    at: datetime
    external_id: str | None = None


def transcript_sessions(settings) -> sessionmaker[Session]:
    """A session factory on the case store with the data keys attached, for a channel or sender of its own process."""
    engine = make_engine(settings.effective_database_url)
    attach_keyring(engine, keyring_for(settings))
    return make_sessions(engine)


def live_channel(channel: str, thread_key: str) -> str:
    """The Redis pub/sub channel on which new lines of a conversation are announced."""
    return f"{channel}:live:{thread_key}"


def delivery_entry_id(delivery_key: str) -> str:
    """The transcript id of the line a delivery produced."""
    return f"d:{delivery_key}"


def message_entry_id(message_id: str) -> str:
    """The transcript id of an inbound message."""
    return f"m:{message_id}"


def record_sent_text(session: Session, delivery_key: str, text: str, at: datetime) -> bool:
    """Keep the text a sender delivered on its delivery row; False when there is no such row."""
    delivery = session.scalars(select(Delivery).where(Delivery.key == delivery_key)).first()
    if delivery is None:
        return False
    delivery.detail = {**(delivery.detail or {}), SENT_TEXT: text, SENT_AT: at.isoformat()}
    return True


def transcript(session: Session, channel: str, thread_key: str, target: str, limit: int) -> list[TranscriptEntry]:
    """The last `limit` lines of the conversation `thread_key` on `channel`, oldest first."""
    case_ids = select(ThreadKey.case_id).where(ThreadKey.channel == channel, ThreadKey.key == thread_key)
    messages = session.execute(
        select(MessageRow.id, MessageRow.text, MessageRow.received_at, MessageRow.external_id)
        .where(MessageRow.case_id.in_(case_ids), MessageRow.channel == channel, MessageRow.thread_key == thread_key)
        .order_by(MessageRow.received_at.desc()).limit(limit)
    ).all()
    deliveries = session.execute(
        select(Delivery.key, Delivery.kind, Delivery.detail, Delivery.updated_at)
        .where(Delivery.case_id.in_(case_ids), Delivery.sender == channel, Delivery.target == target)
        .order_by(Delivery.id.desc()).limit(limit)
    ).all()
    entries = [TranscriptEntry(message_entry_id(id_), INBOUND, text, at, external_id)
               for id_, text, at, external_id in messages]
    for key, kind, detail, updated_at in deliveries:
        if detail and SENT_TEXT in detail:
            at = _parse_time(detail.get(SENT_AT)) or updated_at
            entries.append(TranscriptEntry(delivery_entry_id(key), kind, detail[SENT_TEXT], at))
    entries.sort(key=lambda entry: entry.at)
    return entries[-limit:]


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
