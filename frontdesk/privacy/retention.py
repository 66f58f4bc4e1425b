"""Retention: cases past their category's period are redacted (statistics kept) or deleted.

The purge works in batches of cases, one transaction each, and only ever
moves a case forward (unredacted -> redacted, or gone), so it is idempotent
and a purge killed mid-way leaves whole batches done and the rest for the
next run. Files are removed after the commit that dropped their last
reference; files orphaned by a kill in between are swept on a later run. It
also expires what is kept outside cases: unrouted raw payloads, the
mentions index, contacts left with no personal case, and RQ job records.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from sqlalchemy import Text, cast, delete, exists, func, inspect, select, table, update
from sqlalchemy import column as sa_column
from sqlalchemy.orm import Session, sessionmaker

from config.record import RetentionSettings
from frontdesk.mentions.store import Mention
from frontdesk.models import utcnow
from frontdesk.privacy.redaction import redact_case, redact_mentions, remove_unreferenced
from frontdesk.privacy.redis_scrub import expire_job_records
from frontdesk.privacy.vault import Vault
from frontdesk.store.tables import (
    Case, CaseEvent, Contact, ContactIdentity, Delivery, MessageRow, OptOut, RawPayload, ThreadKey,
)

ACTOR = "retention"
ORPHAN_AGE = timedelta(days=1)


@dataclass
class PurgeReport:
    """What one purge did; `finished` is False when it stopped on its time budget."""

    redacted: int = 0
    deleted: int = 0
    contacts: int = 0
    payloads: int = 0
    mentions: int = 0
    attachments: int = 0
    job_records: int = 0
    finished: bool = True


def purge(session_factory: sessionmaker[Session], connection: redis.Redis | None, policy: RetentionSettings,
          vault: Vault | None, now: datetime | None = None, budget_seconds: float = 240.0) -> PurgeReport:
    """Apply the retention policy once; safe to run again at any time, and after being killed."""
    now = now or utcnow()
    report = PurgeReport()
    deadline = time.monotonic() + budget_seconds
    report.finished = _purge_cases(session_factory, policy, vault, now, report, deadline)
    with session_factory.begin() as session:
        report.contacts = _forget_contacts(session, now)
        cutoff = now - policy.default.after
        report.payloads = session.execute(delete(RawPayload).where(
            RawPayload.received_at < cutoff, RawPayload.status != "pending",
            ~exists().where(MessageRow.id == RawPayload.id))).rowcount
        report.mentions = redact_mentions(session, (Mention.at < cutoff) & Mention.case_id.is_(None))
    if vault is not None:
        report.attachments += _sweep_orphans(session_factory, vault, now)
    if connection is not None:
        report.job_records = expire_job_records(connection, policy.job_records)
    return report


def _purge_cases(session_factory, policy: RetentionSettings, vault, now, report: PurgeReport, deadline) -> bool:
    shortest = min([policy.default.after, *(rule.after for rule in policy.categories.values())])
    reference = func.coalesce(Case.resolved_at, Case.last_message_at)
    cursor = 0
    while time.monotonic() < deadline:
        attachments = []
        with session_factory.begin() as session:
            cases = session.scalars(select(Case).where(
                Case.id > cursor, Case.redacted_at.is_(None), reference < now - shortest)
                .order_by(Case.id).limit(policy.batch_size)).all()
            if not cases:
                return True
            for case in cases:
                rule = policy.policy_for(list(case.categories))
                if (case.resolved_at or case.last_message_at) >= now - rule.after:
                    continue
                if rule.action == "delete":
                    attachments += delete_case(session, case)
                    report.deleted += 1
                else:
                    attachments += redact_case(session, case, ACTOR, now, why=f"retention: {rule.after.days} days").attachments
                    report.redacted += 1
            cursor = cases[-1].id
        if vault is not None:
            report.attachments += remove_unreferenced(session_factory, vault, attachments)
    return False


def delete_case(session: Session, case: Case) -> list[tuple[str, str]]:
    """Delete a case with everything that hangs off it; opt-outs stay (detached). Returns its attachments."""
    messages = session.execute(select(MessageRow.id, MessageRow.channel, MessageRow.attachments)
                               .where(MessageRow.case_id == case.id)).all()
    attachments = [(channel, item["sha256"]) for _id, channel, items in messages for item in items
                   if isinstance(item, dict) and item.get("sha256")]
    ids = [row[0] for row in messages]
    redact_mentions(session, Mention.id.in_(ids) | (Mention.case_id == case.id))
    session.execute(update(Mention).where(Mention.case_id == case.id).values(case_id=None))
    session.execute(update(OptOut).where(OptOut.case_id == case.id).values(case_id=None))
    session.execute(update(Case).where(Case.merged_into == case.id).values(merged_into=None))
    for table in (CaseEvent, Delivery, ThreadKey, MessageRow):
        session.execute(delete(table).where(table.case_id == case.id))
    session.execute(delete(RawPayload).where(RawPayload.id.in_(ids)))
    _delete_other_references(session, case.id)
    session.execute(delete(Case).where(Case.id == case.id))
    return attachments


def _delete_other_references(session: Session, case_id: int) -> None:
    """Rows of tables added by other features that point at the case (response clocks and the like),
    found by reflecting the database, so a feature whose module is not imported here is covered too."""
    for name, column, nullable in _references_to_cases(session):
        target = table(name, sa_column(column))
        statement = update(target).values({column: None}) if nullable else delete(target)
        session.execute(statement.where(target.c[column] == case_id))


def _references_to_cases(session: Session) -> list[tuple[str, str, bool]]:
    cached = session.info.get("frontdesk.retention.references")
    if cached is not None:
        return cached
    known = {"case_events", "deliveries", "thread_keys", "messages", "opt_outs", "cases"}
    inspector = inspect(session.connection())
    found = []
    for name in inspector.get_table_names():
        if name in known:
            continue
        nullable = {column["name"]: column["nullable"] for column in inspector.get_columns(name)}
        for key in inspector.get_foreign_keys(name):
            if key["referred_table"] == "cases":
                found += [(name, column, nullable[column]) for column in key["constrained_columns"]]
    session.info["frontdesk.retention.references"] = found
    return found


def _forget_contacts(session: Session, now: datetime) -> int:
    """Contacts with no case left holding personal data: deleted when nothing refers to them, else pseudonymised."""
    personal = exists().where(Case.contact_id == Contact.id, Case.redacted_at.is_(None))
    stale = session.scalars(select(Contact).where(Contact.erased_at.is_(None), ~personal,
                                                  Contact.created_at < now - timedelta(hours=1))).all()
    for contact in stale:
        session.execute(delete(ContactIdentity).where(ContactIdentity.contact_id == contact.id))
        used = session.scalar(select(func.count()).where(
            (exists().where(Case.contact_id == contact.id)) | (exists().where(MessageRow.contact_id == contact.id))))
        if used:
            contact.name, contact.email, contact.erased_at = None, None, now
        else:
            session.delete(contact)
    return len(stale)


def _sweep_orphans(session_factory, vault: Vault, now: datetime) -> int:
    """Attachment files no message refers to, older than a day (a purge killed after its commit leaves these)."""
    removed = 0
    with session_factory() as session:
        for channel, sha256 in list(vault.files()):
            path = vault.path(channel, sha256)
            if now.timestamp() - path.stat().st_mtime < ORPHAN_AGE.total_seconds():
                continue
            referenced = session.scalars(select(MessageRow.id).where(
                MessageRow.channel == channel, cast(MessageRow.attachments, Text).contains(sha256)).limit(1)).first()
            if referenced is None and vault.delete(channel, sha256):
                removed += 1
    return removed
