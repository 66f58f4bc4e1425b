"""What a batch's messages ask the store while the recorder holds what it has not yet written.

`BatchLookup` reads, in two statements, the thread keys and sender
identities a batch will ask about, and answers the router from them plus the
recorder's unwritten rows; see `frontdesk.store.recorder`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from frontdesk.store.lookup import SqlCaseLookup
from frontdesk.store.tables import Case, Contact, ContactIdentity, ThreadKey

if TYPE_CHECKING:
    from frontdesk.store.recorder import Recorder

CASES, CONTACTS, IDENTITIES, THREAD_KEYS = (Case.__table__, Contact.__table__, ContactIdentity.__table__,
                                            ThreadKey.__table__)

# What a batch's messages may ask, read once: every row of their keys with its case's state, and their
# senders' identities.
_KEY_ROWS = (select(THREAD_KEYS.c.key, THREAD_KEYS.c.channel, THREAD_KEYS.c.case_id, CASES.c.last_message_at,
                    CASES.c.merged_into)
             .join(CASES, CASES.c.id == THREAD_KEYS.c.case_id)
             .where(THREAD_KEYS.c.key.in_(bindparam("keys", expanding=True))))
_IDENTITIES = (select(IDENTITIES.c.channel, IDENTITIES.c.handle, IDENTITIES.c.contact_id, CONTACTS.c.email,
                      CONTACTS.c.name)
               .join(CONTACTS, CONTACTS.c.id == IDENTITIES.c.contact_id)
               .where(IDENTITIES.c.handle.in_(bindparam("handles", expanding=True))))
_MAX_PARAMETERS = 10_000  # per statement (SQLite allows 32,766)


@dataclass
class _Prefetched:
    keys: set[str]
    rows: dict[str, list]  # key -> its rows (key, channel, case_id, last_message_at, merged_into)
    senders: set[tuple[str, str]]
    identities: dict[tuple[str, str], tuple[int, bool]]  # (channel, handle) -> (contact, has email)


class BatchLookup(SqlCaseLookup):
    """The store's answers plus what the recorder has collected but not yet written.

    `prefetch` reads what a batch's messages will ask in two statements, so
    that most questions are answered from memory; a question it did not
    foresee, or any after the recorder flushed, goes to the store. Within the
    batch's transaction the answers are the same as the store's: SQLite
    holds the write lock for the transaction; on PostgreSQL a key committed
    by another worker during the batch is seen from the next batch on.
    """

    def __init__(self, session: Session, recorder: Recorder):
        super().__init__(session)
        self.recorder = recorder
        self.prefetched: _Prefetched | None = None
        self.names: dict[int, str | None] = {}  # contact -> name, of the identities prefetched

    def prefetch(self, keys: set[str], senders: set[tuple[str, str]]) -> None:
        """Read the rows of these thread keys (any channel) and the identities of these (channel, handle)s."""
        rows: dict[str, list] = {}
        for chunk in _chunks(sorted(keys)):
            for row in self.connection.execute(_KEY_ROWS, {"keys": chunk}):
                rows.setdefault(row.key, []).append(row)
        identities: dict[tuple[str, str], tuple[int, bool]] = {}
        for chunk in _chunks(sorted({handle for _, handle in senders})):
            for row in self.connection.execute(_IDENTITIES, {"handles": chunk}):
                identities[(row.channel, row.handle)] = (row.contact_id, bool(row.email))
                self.names[row.contact_id] = row.name
        self.prefetched = _Prefetched(keys, rows, senders, identities)

    def forget(self) -> None:
        """The recorder wrote to the store: from now on ask it."""
        self.prefetched = None

    def known_identity(self, channel: str, handle: str) -> tuple[int, bool] | None | bool:
        """(contact, has email) of a sender as prefetched, None if the store has none, False if not prefetched."""
        known = self.prefetched
        if known is None or (channel, handle) not in known.senders:
            return False
        return known.identities.get((channel, handle))

    def open_case_for_sender(self, channel, handle, since):
        """See SqlCaseLookup; a sender the store did not know and this batch has not recorded has no case."""
        if self.known_identity(channel, handle) is None and (channel, handle) not in self.recorder.recorded:
            return None
        self.recorder.write_cases()  # the store answers, so it must hold the cases this batch opened
        return super().open_case_for_sender(channel, handle, since)

    def open_case_for_email(self, email, since):
        """See SqlCaseLookup."""
        self.recorder.write_cases()
        return super().open_case_for_email(email, since)

    def cases_by_thread_key(self, channel, keys):
        """See SqlCaseLookup; a stored key wins over one of this batch, as it will in the store."""
        known = self.prefetched
        if known is not None and known.keys.issuperset(keys):
            found = {key: row.case_id for key in keys for row in known.rows.get(key, ()) if row.channel == channel}
        else:
            found = super().cases_by_thread_key(channel, keys)
        pending = self.recorder.pending_keys
        for key in keys:
            if key not in found and (channel, key) in pending:
                found[key] = pending[(channel, key)]
        return found

    def cases_for_keys(self, keys, since):
        """See router.threads.CaseLookup; cases of this batch are active now, so always inside the window."""
        known = self.prefetched
        if known is not None and known.keys.issuperset(keys):
            counts: dict[int, int] = {}
            touched = self.recorder.last_message_at
            for key in keys:
                for row in known.rows.get(key, ()):
                    if row.merged_into is None and max(row.last_message_at, touched.get(row.case_id, since)) >= since:
                        counts[row.case_id] = counts.get(row.case_id, 0) + 1
        else:
            counts = super().cases_for_keys(keys, since)
        for key in keys:
            for case_id in self.recorder.pending_by_key.get(key, ()):
                counts[case_id] = counts.get(case_id, 0) + 1
        return counts


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[start:start + _MAX_PARAMETERS] for start in range(0, len(values), _MAX_PARAMETERS)]
