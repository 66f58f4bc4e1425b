"""Per-case hash chains over case events.

Each event stores `digest`, a SHA-256 over its salted content (time, actor,
kind, data), and `hash`, a SHA-256 over the previous event's hash, the case
id, the event's sequence number and its digest. The case row keeps the head
(`chain_head`, `event_seq`), so a deleted tail is caught as well as an edited
or removed middle event.

Erasure is the one writer allowed to rewrite: it replaces an event's data with
a tombstone, drops the salt (so the digest can no longer be tested against
guesses of the erased content) and keeps `digest` and `hash`, so the links
still verify. The tombstoned sequence numbers are named in a new chained event
of kind `personal_data_erased`, so a tombstone cannot be forged silently.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from frontdesk.audit.errors import AppendOnlyError
from frontdesk.models import utcnow
from frontdesk.store.tables import Case, CaseEvent

GENESIS = "0" * 64
ERASED_KIND = "personal_data_erased"
_REWRITE = "frontdesk.audit.rewrite"


def canonical_json(data: dict) -> str:
    """The JSON text that is hashed and stored: sorted keys at every level, Python's default separators.

    It is also exactly what the store's JSON column writes for the sorted
    object that `normalise` returns, so verification can hash the stored text.
    """
    return json.dumps(data, sort_keys=True, default=str)


def normalise(data: dict) -> tuple[dict, str]:
    """The event data as the store will hold it (JSON types, keys sorted) and its canonical text."""
    text = canonical_json(data)
    return json.loads(text), text


def stamp(at: datetime) -> str:
    """An event time as hashed: UTC, ISO 8601 to the microsecond, no offset (a naive time is taken as UTC)."""
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def content_digest(salt: str, at: datetime, actor: str, kind: str, data_text: str) -> str:
    """SHA-256 of an event's salted content."""
    return hashlib.sha256(f"{salt}\x1f{stamp(at)}\x1f{actor}\x1f{kind}\x1f{data_text}".encode()).hexdigest()


def link_hash(previous: str, case_id: int, seq: int, digest: str) -> str:
    """SHA-256 linking an event to the one before it."""
    return hashlib.sha256(f"{previous}\x1f{case_id}\x1f{seq}\x1f{digest}".encode()).hexdigest()


def append(session: Session, case_id: int, actor: str, kind: str, data: dict) -> CaseEvent:
    """Append one chained event to the case, in the caller's transaction.

    The first UPDATE takes the case row's lock (PostgreSQL) or runs under the
    write lock (SQLite), so concurrent writers to one case line up instead of
    forking the chain.
    """
    seq, head = session.execute(
        update(Case).where(Case.id == case_id).values(event_seq=Case.event_seq + 1)
        .returning(Case.event_seq, Case.chain_head),
        execution_options={"synchronize_session": False},
    ).one()
    previous = head or GENESIS
    stored, text = normalise(data)
    at = utcnow()
    salt = secrets.token_hex(8)
    digest = content_digest(salt, at, actor, kind, text)
    link = link_hash(previous, case_id, seq, digest)
    session.execute(update(Case).where(Case.id == case_id).values(chain_head=link),
                    execution_options={"synchronize_session": False})
    row = CaseEvent(case_id=case_id, seq=seq, at=at, actor=actor, kind=kind, data=stored, salt=salt,
                    digest=digest, prev_hash=previous, hash=link)
    session.add(row)
    return row


@contextmanager
def rewriting(session: Session):
    """Let this session change recorded events: for the erasure and retention paths only."""
    session.info[_REWRITE] = True
    try:
        yield session
    finally:
        session.info.pop(_REWRITE, None)


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, _context, _instances) -> None:
    if session.info.get(_REWRITE):
        return
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, CaseEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError(f"case event {obj.id} of case {obj.case_id} is append-only")
