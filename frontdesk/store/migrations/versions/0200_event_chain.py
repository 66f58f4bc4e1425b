"""hash-chained case events, erasure and retention markers

Revision ID: 0200_event_chain
Revises: 0001
Create Date: 2026-11-23

Adds the per-case chain columns and chains the events already recorded, in
the order they were written (by id), so `frontdesk audit verify` covers them.
"""

import hashlib
import json
import secrets
from datetime import timezone

import sqlalchemy as sa
from alembic import op

revision = "0200_event_chain"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("salt", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("digest", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("event_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("chain_head", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_cases_redacted_at", "cases", ["redacted_at"])
    _chain_existing(op.get_bind())
    op.create_index("ux_case_events_case_seq", "case_events", ["case_id", "seq"], unique=True)


def _chain_existing(connection) -> None:
    events = sa.table("case_events", sa.column("id"), sa.column("case_id"), sa.column("at"), sa.column("actor"),
                      sa.column("kind"), sa.column("data", sa.JSON), sa.column("seq"), sa.column("salt"),
                      sa.column("digest"), sa.column("prev_hash"), sa.column("hash"))
    cases = sa.table("cases", sa.column("id"), sa.column("event_seq"), sa.column("chain_head"))
    heads: dict[int, tuple[int, str]] = {}
    rows = connection.execute(sa.select(events.c.id, events.c.case_id, events.c.at, events.c.actor, events.c.kind,
                                        events.c.data).order_by(events.c.case_id, events.c.id)).all()
    for event_id, case_id, at, actor, kind, data in rows:
        seq, previous = heads.get(case_id, (0, GENESIS))
        seq += 1
        text = json.dumps(data or {}, sort_keys=True, default=str)
        salt = secrets.token_hex(8)
        when = _utc(at)
        digest = hashlib.sha256(f"{salt}\x1f{when}\x1f{actor}\x1f{kind}\x1f{text}".encode()).hexdigest()
        link = hashlib.sha256(f"{previous}\x1f{case_id}\x1f{seq}\x1f{digest}".encode()).hexdigest()
        connection.execute(sa.update(events).where(events.c.id == event_id).values(
            seq=seq, salt=salt, digest=digest, prev_hash=previous, hash=link, data=json.loads(text)))
        heads[case_id] = (seq, link)
    for case_id, (seq, link) in heads.items():
        connection.execute(sa.update(cases).where(cases.c.id == case_id).values(event_seq=seq, chain_head=link))


def _utc(at) -> str:
    if isinstance(at, str):
        from datetime import datetime

        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")


def downgrade() -> None:
    op.drop_index("ux_case_events_case_seq", table_name="case_events")
    with op.batch_alter_table("case_events") as batch:
        for name in ("erased_at", "hash", "prev_hash", "digest", "salt", "seq"):
            batch.drop_column(name)
    op.drop_index("ix_cases_redacted_at", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        for name in ("redacted_at", "chain_head", "event_seq"):
            batch.drop_column(name)
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("erased_at")
