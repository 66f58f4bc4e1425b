"""Removing the personal data of one case while keeping what reports count.

Kept: the case's channel, urgency, categories, status, times and counts; each
message's channel, times, urgency, categories, scores and sentiment; every
delivery's kind, status and times; every event's kind, time, actor and
non-personal fields (as a tombstone that keeps the chain verifiable). Removed:
subjects, texts, reason details, thread keys, reply addresses, delivered
text, delivery targets of acknowledgments, raw payload bodies and
attachments. Provider ids are replaced by a hash, so the idempotency keys
stay unique.

Shared by erasure (one person, every case) and retention (one case at a time).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Text, cast, delete, select, update
from sqlalchemy.orm import Session

from frontdesk.audit.chain import ERASED_KIND, rewriting
from frontdesk.mentions.store import Mention
from frontdesk.privacy.vault import Vault
from frontdesk.store.cases import add_event
from frontdesk.store.tables import Case, CaseEvent, Delivery, MessageRow, RawPayload, ThreadKey

# Event data fields that never hold personal data and stay in a tombstone.
KEPT_EVENT_FIELDS = frozenset({
    "attempt", "case", "categories", "channel", "delivery_id", "delivery_kind", "message_id", "message_ids",
    "messages", "new", "old", "step", "thread", "urgency", "via", "will_retry", "tombstones",
})
PERSONAL_DELIVERY_KINDS = frozenset({"ack", "reply"})
ERASED = "erased"


def pseudonym(value: str) -> str:
    """A stable stand-in for a provider id: `erased:` and 32 hex digits of its SHA-256."""
    return f"{ERASED}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def tombstone_data(data: dict) -> dict:
    """What an event keeps after erasure: the marker and its non-personal fields."""
    kept = {key: value for key, value in (data or {}).items() if key in KEPT_EVENT_FIELDS}
    return {"erased": True, **kept}


@dataclass
class CaseRedaction:
    """What redacting a case touched."""

    messages: int = 0
    tombstones: int = 0
    attachments: list[tuple[str, str]] = field(default_factory=list)


def redact_case(session: Session, case: Case, actor: str, now: datetime, why: str) -> CaseRedaction:
    """Remove the case's personal data in the caller's transaction (idempotent) and record it in the chain.

    Returns the attachments its messages referred to, for the caller to
    delete after commit when nothing else refers to them.
    """
    outcome = CaseRedaction()
    messages = list(session.scalars(select(MessageRow).where(MessageRow.case_id == case.id)))
    for message in messages:
        outcome.attachments.extend((message.channel, item["sha256"]) for item in message.attachments
                                   if isinstance(item, dict) and item.get("sha256"))
        outcome.messages += redact_message(session, message)
    _redact_deliveries(session, case.id)
    session.execute(delete(ThreadKey).where(ThreadKey.case_id == case.id))
    case.subject = None
    case.reasons = [{"source": reason.get("source"), "name": reason.get("name"), "detail": "",
                     "score": reason.get("score")} for reason in case.reasons if isinstance(reason, dict)]
    case.redacted_at = case.redacted_at or now
    tombstoned = tombstone_events(session, case.id, now)
    outcome.tombstones = len(tombstoned)
    if tombstoned or outcome.messages:
        add_event(session, case.id, actor, ERASED_KIND, tombstones=tombstoned, messages=outcome.messages, why=why)
    return outcome


def redact_message(session: Session, message: MessageRow) -> int:
    """Remove a message's personal data and its raw payload's body; 0 when it was already done."""
    if message.external_id.startswith(f"{ERASED}:") and not message.text:
        return 0
    message.external_id = pseudonym(message.external_id)
    message.idempotency_key = f"{message.channel}:{message.external_id}"
    message.text, message.subject, message.thread_key = "", None, None
    message.reply_to, message.attachments = {}, []
    message.reasons = [{"source": r.get("source"), "name": r.get("name"), "detail": ""}
                       for r in message.reasons if isinstance(r, dict)]
    session.execute(update(RawPayload).where(RawPayload.id == message.id).values(
        body=b"", meta={}, error=None, idempotency_key=message.idempotency_key))
    redact_mentions(session, Mention.id == message.id)
    return 1


def redact_mentions(session: Session, condition) -> int:
    """Remove author and text from the public-mention index rows matching `condition`; sentiment stays."""
    return session.execute(update(Mention).where(condition, Mention.author_id != ERASED).values(
        author_id=ERASED, author_handle="", author_name=None, text="", url="")).rowcount


def _redact_deliveries(session: Session, case_id: int) -> None:
    for delivery in session.scalars(select(Delivery).where(Delivery.case_id == case_id)):
        detail = {key: value for key, value in (delivery.detail or {}).items() if key in KEPT_EVENT_FIELDS}
        if delivery.detail != detail:
            delivery.detail = detail
        if delivery.kind in PERSONAL_DELIVERY_KINDS and delivery.target != ERASED:
            delivery.target, delivery.error = ERASED, None


def tombstone_events(session: Session, case_id: int, now: datetime) -> list[int]:
    """Replace the data of every event of the case (except erasure records) with its tombstone.

    Returns the sequence numbers tombstoned now.
    """
    events = session.execute(select(CaseEvent.id, CaseEvent.seq, CaseEvent.data).where(
        CaseEvent.case_id == case_id, CaseEvent.erased_at.is_(None), CaseEvent.kind != ERASED_KIND)
        .order_by(CaseEvent.seq)).all()
    with rewriting(session):
        for event_id, _seq, data in events:
            session.execute(update(CaseEvent).where(CaseEvent.id == event_id).values(
                data=tombstone_data(data), salt=None, erased_at=now))
    return [seq for _id, seq, _data in events]


def remove_unreferenced(session_factory, vault: Vault, attachments: list[tuple[str, str]]) -> int:
    """Delete attachment files that no message refers to any more; returns how many were removed."""
    removed = 0
    with session_factory() as session:
        for channel, sha256 in sorted(set(attachments)):
            referenced = session.scalars(select(MessageRow.id).where(
                MessageRow.channel == channel, cast(MessageRow.attachments, Text).contains(sha256)).limit(1)).first()
            if referenced is None and vault.delete(channel, sha256):
                removed += 1
    return removed
