"""The SQL implementation of the router's CaseLookup protocol (router/threads.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from frontdesk.store.tables import Case, Contact, ContactIdentity, ThreadKey


class SqlCaseLookup:
    """Answers the router's questions inside the worker's open transaction."""

    def __init__(self, session: Session):
        self.session = session

    def case_for_thread_keys(self, channel: str, keys: Sequence[str]) -> int | None:
        """See router.threads.CaseLookup."""
        if not keys:
            return None
        rows = self.session.execute(
            select(ThreadKey.key, ThreadKey.case_id).where(ThreadKey.channel == channel, ThreadKey.key.in_(list(keys)))
        ).all()
        by_key = dict(rows)
        for key in keys:  # the message's own conversation key first, then its references in order
            if key in by_key:
                return by_key[key]
        return None

    def open_case_for_sender(self, channel: str, handle: str, since: datetime) -> int | None:
        """See router.threads.CaseLookup."""
        return self.session.scalars(
            select(Case.id)
            .join(ContactIdentity, ContactIdentity.contact_id == Case.contact_id)
            .where(ContactIdentity.channel == channel, ContactIdentity.handle == handle, Case.channel == channel,
                   Case.status != "resolved", Case.merged_into.is_(None), Case.last_message_at >= since)
            .order_by(Case.last_message_at.desc())
            .limit(1)
        ).first()

    def open_case_for_email(self, email: str, since: datetime) -> int | None:
        """See router.threads.CaseLookup: only identities whose email the channel verified count."""
        return self.session.scalars(
            select(Case.id)
            .join(Contact, Contact.id == Case.contact_id)
            .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
            .where(func.lower(Contact.email) == email, ContactIdentity.verified.is_(True),
                   Case.status != "resolved", Case.merged_into.is_(None), Case.last_message_at >= since)
            .order_by(Case.last_message_at.desc())
            .limit(1)
        ).first()

    def cases_for_keys(self, keys: Sequence[str], since: datetime) -> dict[int, int]:
        """See router.threads.CaseLookup."""
        if not keys:
            return {}
        rows = self.session.execute(
            select(ThreadKey.case_id, func.count())
            .join(Case, Case.id == ThreadKey.case_id)
            .where(ThreadKey.key.in_(list(keys)), Case.merged_into.is_(None), Case.last_message_at >= since)
            .group_by(ThreadKey.case_id)
        ).all()
        return {case_id: count for case_id, count in rows}
