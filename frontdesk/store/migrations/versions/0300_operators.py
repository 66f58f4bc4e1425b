"""operators, response-time clock records, and indexes for the dashboard's case list

Revision ID: 0300_operators
Revises: 0100_mentions
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0300_operators'
down_revision = '0100_mentions'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('operators',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username', name='uq_operator_username'),
    )
    op.create_table('case_clocks',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('case_id', BIG_ID, nullable=False),
    sa.Column('clock', sa.String(length=24), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'clock', 'state', name='uq_case_clock_state'),
    )
    op.create_index('ix_case_clocks_at', 'case_clocks', ['at'], unique=False)
    op.create_index('ix_cases_status_id', 'cases', ['status', 'id'], unique=False)
    op.create_index('ix_cases_urgency_id', 'cases', ['urgency', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_cases_urgency_id', table_name='cases')
    op.drop_index('ix_cases_status_id', table_name='cases')
    op.drop_index('ix_case_clocks_at', table_name='case_clocks')
    op.drop_table('case_clocks')
    op.drop_table('operators')
