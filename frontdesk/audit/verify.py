"""Recomputing the case event chains and naming the first broken link.

One pass over `case_events` ordered by (case, sequence), streamed in
batches; the stored JSON text is hashed as it is (it was written in canonical
form), with a re-serialisation as the fallback for a store that reformats
JSON. Per case it checks: sequence numbers run 1, 2, 3 …; each event's
`prev_hash` is the previous event's `hash`; the digest matches the content
(unless the event is a tombstone named by a later erasure event); the link
hash matches; and the last hash and number equal the case's `chain_head` and
`event_seq`, which catches a removed tail.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import DateTime, Engine, Text, cast, select, true, type_coerce
from sqlalchemy.orm import Session, sessionmaker

from frontdesk.audit.chain import ERASED_KIND, GENESIS, content_digest, link_hash
from frontdesk.store.tables import Case, CaseEvent

BATCH = 20_000


@dataclass(frozen=True)
class BrokenLink:
    """Where a chain first fails: the case, the sequence number, the event id (if any) and why."""

    case_id: int
    seq: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        event = f"event {self.event_id}" if self.event_id is not None else "no event"
        return f"case {self.case_id}, link #{self.seq} ({event}): {self.reason}"


@dataclass
class VerifyReport:
    """The outcome of a verification: counts, and every case's first break (in case order)."""

    cases: int = 0
    events: int = 0
    tombstones: int = 0
    broken: list[BrokenLink] = field(default_factory=list)
    _anchor: "hashlib._Hash" = field(default_factory=hashlib.sha256, repr=False)
    # Set by a worker of a parallel verification: the anchor's input, for the parent to hash in case order.
    anchor_input: list[bytes] | None = field(default=None, repr=False)

    def add_head(self, line: bytes) -> None:
        """Feed one verified case's `<case>:<seq>:<hash>` line into the anchor."""
        if self.anchor_input is not None:
            self.anchor_input.append(line)
        else:
            self._anchor.update(line)

    @property
    def anchor(self) -> str:
        """SHA-256 over every verified case's head (`<case>:<seq>:<hash>` lines in case order): keep it
        outside the database, and a later verify that gives another anchor for the same cases shows a
        chain was rewritten as a whole."""
        return self._anchor.hexdigest()

    @property
    def ok(self) -> bool:
        """True when every chain verified."""
        return not self.broken

    @property
    def first(self) -> BrokenLink | None:
        """The first broken link, if any."""
        return self.broken[0] if self.broken else None


@dataclass
class _Walk:
    case_id: int
    seq: int = 0
    previous: str = GENESIS
    broken: BrokenLink | None = None


def verify_chains(sessions: sessionmaker[Session], case_ids: list[int] | None = None,
                  batch: int = BATCH, case_range: tuple[int, int] | None = None,
                  report: VerifyReport | None = None) -> VerifyReport:
    """Verify the chains of every case (or of `case_ids`, or of the ids in `case_range`, both ends included)
    in one read snapshot; never raises on a broken chain.

    The snapshot takes no write lock: on SQLite a deferred read transaction
    in WAL mode (read straight from the driver, which is also the fast path),
    on PostgreSQL a REPEATABLE READ, READ ONLY transaction.
    """
    report = report or VerifyReport()

    def only(column):
        condition = column.in_(case_ids) if case_ids is not None else true()
        return condition if case_range is None else condition & column.between(*case_range)

    with _snapshot(sessions.kw["bind"], batch) as fetch:
        heads = {row[0]: (row[1], row[2]) for row in fetch(
            select(Case.id, Case.event_seq, Case.chain_head).where(only(Case.id)))}
        declared: dict[int, set[int]] = {}
        for case_id, text in fetch(select(CaseEvent.case_id, cast(CaseEvent.data, Text)).where(
                CaseEvent.kind == ERASED_KIND, only(CaseEvent.case_id))):
            declared.setdefault(case_id, set()).update(int(seq) for seq in json.loads(text).get("tombstones", []))
        events = select(CaseEvent.id, CaseEvent.case_id, CaseEvent.seq, type_coerce(CaseEvent.at, DateTime()),
                        CaseEvent.actor, CaseEvent.kind, cast(CaseEvent.data, Text), CaseEvent.salt,
                        CaseEvent.digest, CaseEvent.prev_hash, CaseEvent.hash, CaseEvent.erased_at.is_not(None))
        _walk_all(fetch(events.where(only(CaseEvent.case_id)).order_by(CaseEvent.case_id, CaseEvent.seq)),
                  heads, declared, report)
    for case_id, (seq, head) in sorted(heads.items()):
        report.cases += 1
        if seq or head:
            report.broken.append(BrokenLink(case_id, 1, None, f"case records {seq} events but none are stored"))
    report.broken.sort(key=lambda link: link.case_id)
    return report


def _walk_all(rows, heads: dict, declared: dict, report: VerifyReport) -> None:
    walk: _Walk | None = None
    for row in rows:
        if walk is None or row[1] != walk.case_id:
            if walk is not None:
                _close(walk, heads.pop(walk.case_id, None), report)
            walk = _Walk(row[1])
        report.events += 1
        if row[11]:
            report.tombstones += 1
        if walk.broken is None:
            walk.broken = _check(walk, row, declared.get(row[1], ()))
    if walk is not None:
        _close(walk, heads.pop(walk.case_id, None), report)


@contextmanager
def _snapshot(engine: Engine, batch: int):
    """A function running selects in one read-only snapshot and yielding their rows."""
    if engine.dialect.name != "sqlite":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True) as db:
            yield lambda query: db.execute(query, execution_options={"yield_per": batch})
        return
    connection = engine.raw_connection()
    cursor = connection.cursor()
    try:
        cursor.execute("BEGIN")  # deferred, as in store.db.read_session: a snapshot, not the write lock

        def fetch(query):
            cursor.execute(str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})))
            while rows := cursor.fetchmany(batch):
                yield from rows

        yield fetch
    finally:
        cursor.execute("ROLLBACK")
        connection.close()


def _check(walk: _Walk, row, tombstones) -> BrokenLink | None:
    event_id, case_id, seq, at, actor, kind, text, salt, digest, prev_hash, stored_hash, erased_at = row
    expected_seq = walk.seq + 1
    if seq is None:
        return BrokenLink(case_id, expected_seq, event_id, "event was never linked into the chain")
    if seq != expected_seq:
        return BrokenLink(case_id, expected_seq, event_id, f"sequence jumps from {walk.seq} to {seq}")
    if prev_hash != walk.previous:
        return BrokenLink(case_id, seq, event_id, "prev_hash is not the previous event's hash")
    if erased_at:
        if seq not in tombstones:
            return BrokenLink(case_id, seq, event_id, "tombstone not declared by any erasure event")
    elif digest != content_digest(salt or "", at, actor, kind, text) and digest != content_digest(
            salt or "", at, actor, kind, json.dumps(json.loads(text), sort_keys=True)):
        return BrokenLink(case_id, seq, event_id, "content does not match its digest (edited)")
    if stored_hash != link_hash(walk.previous, case_id, seq, digest):
        return BrokenLink(case_id, seq, event_id, "hash does not match the link")
    walk.seq, walk.previous = seq, stored_hash
    return None


def _close(walk: _Walk, head: tuple[int, str] | None, report: VerifyReport) -> None:
    report.cases += 1
    if walk.broken is None and head is not None and (walk.seq, walk.previous) != head:
        walk.broken = BrokenLink(walk.case_id, walk.seq + 1, None,
                                 f"chain ends at #{walk.seq} but the case's head is #{head[0]} (events removed)")
    if walk.broken is not None:
        report.broken.append(walk.broken)
    else:
        report.add_head(f"{walk.case_id}:{walk.seq}:{walk.previous}\n".encode())
