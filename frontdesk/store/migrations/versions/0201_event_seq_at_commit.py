"""case events get their chain position at commit: seq may be NULL inside the writing transaction

Revision ID: 0201_event_seq_at_commit
Revises: 0200_event_chain
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0201_event_seq_at_commit"
down_revision = "0200_event_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=True, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=False, server_default="0")
