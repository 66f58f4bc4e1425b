"""The right to erasure: remove or pseudonymise everything held on one contact, in every store.

Database: the contact keeps its row (so reports still count one person) but
loses name, email and channel identities; each of its cases is redacted (see
frontdesk.privacy.redaction) and its event chain tombstoned with an erasure
event naming the tombstones; its messages elsewhere are redacted; raw
payloads that never became messages (quarantined, ignored) are wiped when
they mention the person; the person's public posts in the mentions index lose
author and text (sentiment stays); opt-outs are kept as hashes, so they still
apply.
Then the attachments no one else refers to, the person's traces in Redis
(including failed RQ jobs), and the on-disk copies (SQLite WAL, Redis AOF).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import redis
from sqlalchemy import delete, exists, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from frontdesk.models import utcnow
from frontdesk.privacy.crypto import hashed_address
from frontdesk.mentions.store import Mention
from frontdesk.privacy.redaction import (
    pseudonym, redact_case, redact_mentions, redact_message, remove_unreferenced,
)
from frontdesk.privacy.redis_scrub import compact, needles_for, scrub
from frontdesk.privacy.subjects import Holdings, holdings
from frontdesk.privacy.vault import Vault
from frontdesk.store.cases import add_event
from frontdesk.store.tables import ContactIdentity, MessageRow, RawPayload

log = logging.getLogger(__name__)
PAYLOAD_BATCH = 500


@dataclass
class ErasureReport:
    """What one erasure did, in counts (never the data itself)."""

    contact_id: int
    cases: int = 0
    messages: int = 0
    tombstones: int = 0
    unrouted_payloads: int = 0
    opt_outs: int = 0
    mentions: int = 0
    attachments: int = 0
    redis_jobs: int = 0
    redis_values: int = 0


def erase_contact(session_factory: sessionmaker[Session], redis_connection: redis.Redis | None, contact_id: int,
                  actor: str, vault: Vault | None = None, why: str = "subject request") -> ErasureReport:
    """Erase contact `contact_id`'s personal data everywhere; idempotent; audited on each case as `actor`.

    `vault` is where attachments live (None: attachments are not touched);
    `redis_connection` None skips Redis. Raises SubjectNotFoundError for an
    unknown contact.
    """
    report = ErasureReport(contact_id)
    attachments: list[tuple[str, str]] = []
    with session_factory.begin() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        if sqlite:
            session.execute(text("PRAGMA secure_delete=ON"))
        found = holdings(session, contact_id)
        identifiers = set(found.identifiers)
        attachments = _erase_rows(session, found, actor, why, report)
        report.unrouted_payloads = _wipe_unrouted_payloads(session, identifiers)
        if sqlite:
            session.execute(text("PRAGMA secure_delete=FAST"))
    if vault is not None:
        report.attachments = remove_unreferenced(session_factory, vault, attachments)
    if redis_connection is not None:
        scrubbed = scrub(redis_connection, identifiers)
        report.redis_jobs, report.redis_values = scrubbed.jobs, scrubbed.values
        compact(redis_connection)
    _checkpoint(session_factory)
    log.info("erased contact %s for %s: %s", contact_id, actor, report)
    return report


def _erase_rows(session: Session, found: Holdings, actor: str, why: str, report: ErasureReport) -> list:
    now = utcnow()
    attachments = []
    for case in found.cases:
        done = redact_case(session, case, actor, now, why)
        attachments += done.attachments
        report.cases += 1
        report.messages += done.messages
        report.tombstones += done.tombstones
    own_cases = set(found.case_ids)
    for message in found.messages:
        if message.case_id not in own_cases:
            attachments += [(message.channel, item["sha256"]) for item in message.attachments
                            if isinstance(item, dict) and item.get("sha256")]
            report.messages += redact_message(session, message)
            if message.case_id is not None:
                add_event(session, message.case_id, actor, "message_erased", message_id=message.id, why=why)
    report.mentions = redact_mentions(session, Mention.id.in_([mention.id for mention in found.mentions]))
    for opt_out in found.opt_outs:
        opt_out.address = hashed_address(opt_out.address)
        report.opt_outs += 1
    session.execute(delete(ContactIdentity).where(ContactIdentity.contact_id == found.contact.id))
    found.contact.name, found.contact.email = None, None
    found.contact.erased_at = found.contact.erased_at or now
    return attachments


def _wipe_unrouted_payloads(session: Session, identifiers: set[str]) -> int:
    """Raw payloads that never became a message but mention the person: body and meta wiped."""
    needles = needles_for(identifiers)
    if not needles:
        return 0
    wiped, last_id = 0, ""
    while True:
        rows = session.execute(select(
            RawPayload.id, RawPayload.channel, RawPayload.idempotency_key, RawPayload.body, RawPayload.meta,
            RawPayload.error).where(RawPayload.id > last_id, RawPayload.status != "routed",
                                    ~exists().where(MessageRow.id == RawPayload.id))
            .order_by(RawPayload.id).limit(PAYLOAD_BATCH)).all()
        if not rows:
            return wiped
        for payload_id, channel, key, body, meta, error in rows:
            haystack = bytes(body or b"") + json.dumps(meta).encode() + (error or "").encode()
            if any(needle in haystack for needle in needles):
                session.execute(update(RawPayload).where(RawPayload.id == payload_id).values(
                    body=b"", meta={}, error=None, idempotency_key=f"{channel}:{pseudonym(key)}"))
                wiped += 1
        last_id = rows[-1][0]


def _checkpoint(session_factory: sessionmaker[Session]) -> None:
    """SQLite: fold the WAL into the database file so the old page images are gone too."""
    engine = session_factory.kw["bind"]
    if engine.dialect.name != "sqlite":
        return
    connection = engine.raw_connection()
    try:
        connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        connection.close()
