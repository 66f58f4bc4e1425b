"""The SQL implementation of the router's CaseLookup protocol (router/threads.py).

The statements are built once, with bound parameters: the router asks
several questions per message, and building a statement costs more than
SQLite takes to answer it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from frontdesk.store.tables import Case, Contact, ContactIdentity, ThreadKey

_KEYS = bindparam("keys", expanding=True)
# Not `merged_into IS NULL`: SQLite would answer that from ix_cases_merged_into, reading every unmerged case,
# instead of starting from the key or the sender's identity.
_NOT_MERGED = func.coalesce(Case.merged_into, 0) == 0
_OPEN = (Case.status != "resolved", _NOT_MERGED, Case.last_message_at >= bindparam("since"))

CASES_BY_THREAD_KEY = select(ThreadKey.key, ThreadKey.case_id).where(
    ThreadKey.channel == bindparam("channel"), ThreadKey.key.in_(_KEYS))
OPEN_CASE_FOR_SENDER = (
    select(Case.id)
    .join(ContactIdentity, ContactIdentity.contact_id == Case.contact_id)
    .where(ContactIdentity.channel == bindparam("channel"), ContactIdentity.handle == bindparam("handle"),
           Case.channel == bindparam("channel"), *_OPEN)
    .order_by(Case.last_message_at.desc())
    .limit(1)
)
OPEN_CASE_FOR_EMAIL = (  # only identities whose email the channel verified count
    select(Case.id)
    .join(Contact, Contact.id == Case.contact_id)
    .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
    .where(func.lower(Contact.email) == bindparam("email"), ContactIdentity.verified.is_(True), *_OPEN)
    .order_by(Case.last_message_at.desc())
    .limit(1)
)
CASES_FOR_KEYS = (
    select(ThreadKey.case_id, func.count())
    .join(Case, Case.id == ThreadKey.case_id)
    .where(ThreadKey.key.in_(_KEYS), _NOT_MERGED, Case.last_message_at >= bindparam("since"))
    .group_by(ThreadKey.case_id)
)


class SqlCaseLookup:
    """Answers the router's questions inside the worker's open transaction, from rows already written
    (ORM objects the session has not flushed are not seen)."""

    def __init__(self, session: Session):
        self.session = session
        # Plain Core execution: these are column reads, and the ORM's per-statement work is most of their cost.
        self.connection = session.connection()

    def case_for_thread_keys(self, channel: str, keys: Sequence[str]) -> int | None:
        """See router.threads.CaseLookup."""
        if not keys:
            return None
        by_key = self.cases_by_thread_key(channel, keys)
        for key in keys:  # the message's own conversation key first, then its references in order
            if key in by_key:
                return by_key[key]
        return None

    def cases_by_thread_key(self, channel: str, keys: Sequence[str]) -> dict[str, int]:
        """{key: case} for those of these channel thread keys that lead to a case."""
        rows = self.connection.execute(CASES_BY_THREAD_KEY, {"channel": channel, "keys": list(keys)})
        return dict(rows.all())

    def open_case_for_sender(self, channel: str, handle: str, since: datetime) -> int | None:
        """See router.threads.CaseLookup."""
        return self.connection.scalar(OPEN_CASE_FOR_SENDER, {"channel": channel, "handle": handle, "since": since})

    def open_case_for_email(self, email: str, since: datetime) -> int | None:
        """See router.threads.CaseLookup: only identities whose email the channel verified count."""
        return self.connection.scalar(OPEN_CASE_FOR_EMAIL, {"email": email, "since": since})

    def cases_for_keys(self, keys: Sequence[str], since: datetime) -> dict[int, int]:
        """See router.threads.CaseLookup."""
        if not keys:
            return {}
        rows = self.connection.execute(CASES_FOR_KEYS, {"keys": list(keys), "since": since})
        return dict(rows.all())
