"""The case store's tables (SQLAlchemy 2 declarative); Alembic migrations follow these.

Ids: raw payloads and messages share the intake id (a ULID string); cases,
events and deliveries use integer keys. Times are stored in UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from frontdesk.models import utcnow
from frontdesk.privacy.crypto import SealedBytes

# SQLite has no BIGINT autoincrement; Integer there, BigInteger elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite drops tzinfo otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            from datetime import timezone

            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map = {datetime: UtcDateTime, dict: JSON, list: JSON}


class RawPayload(Base):
    """A provider payload, byte-exact, as it arrived; quarantined when unparseable."""

    __tablename__ = "raw_payloads"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(512), unique=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_type: Mapped[str] = mapped_column(String(128))
    body: Mapped[bytes] = mapped_column(SealedBytes)  # encrypted at rest when a data key is configured
    meta: Mapped[dict] = mapped_column(default=dict)
    # pending -> routed | quarantined | ignored
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    __table_args__ = (Index("ix_raw_payloads_status_received", "status", "received_at"),)


class Contact(Base):
    """A person, across however many channel identities they use."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str | None] = mapped_column(String(256), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(default=None)
    identities: Mapped[list["ContactIdentity"]] = relationship(back_populates="contact")
    # Migration 0303: cross-channel linking finds a contact by its email in any letter case.
    __table_args__ = (Index("ix_contacts_email_lower", func.lower(email)),)


class ContactIdentity(Base):
    """One channel identity (channel + handle) of a contact."""

    __tablename__ = "contact_identities"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    handle: Mapped[str] = mapped_column(String(512))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    linked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    contact: Mapped[Contact] = relationship(back_populates="identities")
    __table_args__ = (
        UniqueConstraint("channel", "handle", name="uq_identity_channel_handle"),
        Index("ix_contact_identities_handle", "handle"),  # migration 0302: contact search by handle
    )


class Case(Base):
    """A conversation about one complaint; the unit that is acknowledged, paged and resolved."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    urgency: Mapped[str] = mapped_column(String(16), index=True)
    categories: Mapped[list] = mapped_column(default=list)
    reasons: Mapped[list] = mapped_column(default=list)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    subject: Mapped[str | None] = mapped_column(Text, default=None)
    flags: Mapped[list] = mapped_column(default=list)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    # The escalation position: which step of (round x chain) is current; -1 = not paging.
    escalation_step: Mapped[int] = mapped_column(Integer, default=-1)
    # When the next escalation step is due; the sweeper re-queues a step whose job was lost.
    escalation_due_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    # The head of the case's event chain (frontdesk.audit.chain): last sequence number and hash.
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    chain_head: Mapped[str] = mapped_column(String(64), default="")
    # When retention or erasure removed the case's personal data.
    redacted_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    __table_args__ = (
        Index("ix_cases_contact_channel_status", "contact_id", "channel", "status"),
        # The dashboard's filtered lists, newest first (migrations 0300, 0301).
        Index("ix_cases_status_id", "status", "id"),
        Index("ix_cases_urgency_id", "urgency", "id"),
        Index("ix_cases_channel_id", "channel", "id"),
        Index("ix_cases_merged_into", "merged_into"),
    )


class ThreadKey(Base):
    """A channel's conversation id or message id that leads to a case."""

    __tablename__ = "thread_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(512))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    __table_args__ = (
        UniqueConstraint("channel", "key", name="uq_thread_key"),
        Index("ix_thread_keys_key", "key"),  # migration 0303: near-duplicate lookups ask by key on any channel
    )


class MessageRow(Base):
    """A normalised message, attached to its case."""

    __tablename__ = "messages"
    id: Mapped[str] = mapped_column(String(32), ForeignKey("raw_payloads.id"), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(512), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    external_id: Mapped[str] = mapped_column(String(512))
    subject: Mapped[str | None] = mapped_column(Text, default=None)
    text: Mapped[str] = mapped_column(Text)
    thread_key: Mapped[str | None] = mapped_column(String(512), default=None)
    sent_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(index=True)
    routed_at: Mapped[datetime] = mapped_column(default=utcnow)
    urgency: Mapped[str] = mapped_column(String(16))
    categories: Mapped[list] = mapped_column(default=list)
    reasons: Mapped[list] = mapped_column(default=list)
    scores: Mapped[dict] = mapped_column(default=dict)
    sentiment: Mapped[float | None] = mapped_column(default=None)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    flags: Mapped[list] = mapped_column(default=list)
    reply_to: Mapped[dict] = mapped_column(default=dict)
    attachments: Mapped[list] = mapped_column(default=list)


class CaseEvent(Base):
    """One entry of a case's audit trail: what happened, when, by whom; hash-chained per case
    (see frontdesk.audit.chain), append-only except for erasure tombstones."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(48))
    data: Mapped[dict] = mapped_column(default=dict)
    seq: Mapped[int | None] = mapped_column(Integer, default=None)  # set when the transaction commits
    salt: Mapped[str | None] = mapped_column(String(32), default=None)
    digest: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")
    erased_at: Mapped[datetime | None] = mapped_column(default=None)
    __table_args__ = (Index("ux_case_events_case_seq", "case_id", "seq", unique=True),)


class Delivery(Base):
    """One outbound message (acknowledgment or page) and its provider result.

    `key` is the idempotency key (`ack:<message>`, `page:<case>:<step>:<n>`);
    the unique constraint is what stops a re-run from sending twice.
    """

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(512), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    message_id: Mapped[str | None] = mapped_column(String(32), default=None)
    kind: Mapped[str] = mapped_column(String(16))  # ack | page | reply | alert
    sender: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str | None] = mapped_column(String(128), default=None)  # person id for pages
    # pending -> sending -> sent | failed | skipped | unknown
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str | None] = mapped_column(String(256), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    detail: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (Index("ix_deliveries_case_kind", "case_id", "kind"),)


class OptOut(Base):
    """A contact address that must get no further non-essential messages."""

    __tablename__ = "opt_outs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(512))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_opt_out"),)


class Cursor(Base):
    """A poller's position (IMAP UIDVALIDITY/UID, X since_id), advanced only after commit."""

    __tablename__ = "cursors"
    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    value: Mapped[dict] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
