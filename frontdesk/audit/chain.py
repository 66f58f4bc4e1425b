"""Per-case hash chains over case events.

Each event stores `digest`, a SHA-256 over its salted content (time, actor,
kind, data), and `hash`, a SHA-256 over the previous event's hash, the case
id, the event's sequence number and its digest. The case row keeps the head
(`chain_head`, `event_seq`), so a deleted tail is caught as well as an edited
or removed middle event. Events get their sequence number and link when
their transaction commits (see `append`).

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
from operator import attrgetter, itemgetter

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session

from frontdesk.audit.errors import AppendOnlyError
from frontdesk.models import utcnow
from frontdesk.store.tables import Case, CaseEvent

GENESIS = "0" * 64
ERASED_KIND = "personal_data_erased"
_REWRITE = "frontdesk.audit.rewrite"
_PENDING = "frontdesk.audit.pending"


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


def stamp(at: datetime | str) -> str:
    """An event time as hashed: UTC, ISO 8601 to the microsecond, no offset (a naive time is taken as UTC;
    text is a time as SQLite stores it)."""
    if isinstance(at, str):
        if len(at) == 26 and at[10] in " T":  # SQLAlchemy's SQLite form, already UTC to the microsecond
            return f"{at[:10]}T{at[11:]}"
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        return at.isoformat(timespec="microseconds")
    if at.utcoffset():
        at = at.astimezone(timezone.utc)
    return at.isoformat(timespec="microseconds")[:26]  # without the "+00:00"


def content_digest(salt: str, at: datetime, actor: str, kind: str, data_text: str) -> str:
    """SHA-256 of an event's salted content."""
    return hashlib.sha256(f"{salt}\x1f{stamp(at)}\x1f{actor}\x1f{kind}\x1f{data_text}".encode()).hexdigest()


def link_hash(previous: str, case_id: int, seq: int, digest: str) -> str:
    """SHA-256 linking an event to the one before it."""
    return hashlib.sha256(f"{previous}\x1f{case_id}\x1f{seq}\x1f{digest}".encode()).hexdigest()


def append(session: Session, case_id: int, actor: str, kind: str, data: dict) -> CaseEvent:
    """Add one event to the case, in the caller's transaction; it is linked into the chain at commit.

    Linking waits for the commit so that every transaction takes the case
    heads it moves in one short step, in ascending case order, however its
    events were interleaved: two writers to the same cases then queue up
    instead of deadlocking or forking a chain. An event added inside a
    savepoint that is rolled back is never linked.
    """
    row = CaseEvent(**event_row(case_id, actor, kind, data), seq=None, prev_hash="", hash="")
    session.add(row)
    session.info.setdefault(_PENDING, []).append(row)
    return row


def event_row(case_id: int, actor: str, kind: str, data: dict) -> dict:
    """The columns of a new event, salted and digested, not yet linked (see `insert_linked`)."""
    stored, text = normalise(data)
    at = utcnow()
    salt = secrets.token_hex(8)
    return {"case_id": case_id, "at": at, "actor": actor, "kind": kind, "data": stored, "salt": salt,
            "digest": content_digest(salt, at, actor, kind, text)}


def insert_linked(connection, rows: list[dict], linked: list[dict] = ()) -> None:
    """Insert events made by `event_row`, linked into their cases' chains: three statements however many.
    `linked` are events `link_new_chains` already linked, inserted by the same statement.

    For batch writers that bypass the ORM (frontdesk/store/recorder.py); ORM
    events of the same transaction still link at commit, after these.
    """
    if rows:
        for row, seq, previous, hashed in _link(connection, _by_case(rows, itemgetter("case_id")), itemgetter("digest")):
            row.update(seq=seq, prev_hash=previous, hash=hashed)
    connection.execute(_INSERT_EVENTS, [*rows, *linked])


def link_new_chains(rows: list[dict]) -> dict[int, tuple[int, str]]:
    """Link, in place, events made by `event_row` of cases that have no events yet (cases not yet written):
    each chain starts from genesis. Returns each case's head, (event_seq, chain_head), to write with it."""
    heads = {}
    for case_id, events in _by_case(rows, itemgetter("case_id")).items():
        linked = _links_after(case_id, events, 0, GENESIS, itemgetter("digest"))
        for row, seq, previous, hashed in linked:
            row.update(seq=seq, prev_hash=previous, hash=hashed)
        heads[case_id] = (len(events), linked[-1][3])
    return heads


@event.listens_for(Session, "before_commit")
def _link_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: link once, when the whole transaction commits
    pending = [row for row in session.info.pop(_PENDING, ()) if row in session]
    if not pending:
        return
    with rewriting(session):
        with session.no_autoflush:
            links = _link(session.connection(), _by_case(pending, attrgetter("case_id")), attrgetter("digest"))
        for row, seq, previous, hashed in links:
            row.seq, row.prev_hash, row.hash = seq, previous, hashed
        session.flush()  # events not yet written are inserted linked; those an autoflush wrote unlinked are updated


_CASES = Case.__table__
_INSERT_EVENTS = CaseEvent.__table__.insert()
# Heads are read (and on PostgreSQL locked) in ascending case order in one statement, and written in one
# executemany: two round trips per commit, however many cases it touched.
_READ_HEADS = (select(_CASES.c.id, _CASES.c.event_seq, _CASES.c.chain_head)
               .where(_CASES.c.id.in_(bindparam("ids", expanding=True))).order_by(_CASES.c.id).with_for_update())
_WRITE_HEAD = (update(_CASES).where(_CASES.c.id == bindparam("case"))
               .values(event_seq=bindparam("seq"), chain_head=bindparam("head")))


def _by_case(rows: list, case_of) -> dict[int, list]:
    by_case: dict[int, list] = {}
    for row in rows:
        by_case.setdefault(case_of(row), []).append(row)
    return by_case


def _link(connection, by_case: dict[int, list], digest_of) -> list[tuple]:
    """(row, seq, prev_hash, hash) for each new event, continuing its case's head; the heads move."""
    heads = connection.execute(_READ_HEADS, {"ids": sorted(by_case)}).all()
    links, written = [], []
    for case_id, last, head in heads:
        linked = _links_after(case_id, by_case[case_id], last, head or GENESIS, digest_of)
        links += linked
        written.append({"case": case_id, "seq": last + len(by_case[case_id]), "head": linked[-1][3]})
    connection.execute(_WRITE_HEAD, written)
    return links


def _links_after(case_id: int, rows: list, last: int, head: str, digest_of) -> list[tuple]:
    """(row, seq, prev_hash, hash) for each of the case's new events, continuing the chain after (last, head)."""
    links, previous = [], head
    for seq, row in enumerate(rows, start=last + 1):
        hashed = link_hash(previous, case_id, seq, digest_of(row))
        links.append((row, seq, previous, hashed))
        previous = hashed
    return links


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
