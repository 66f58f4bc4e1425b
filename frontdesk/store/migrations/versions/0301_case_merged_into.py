"""indexes for the dashboard: cases.merged_into (the case page lists the cases merged into it) and
(channel, id) (the case list filtered by channel, newest first)

Revision ID: 0301_case_merged_into
Revises: 0300_operators
Create Date: 2026-11-23
"""

from alembic import op


revision = '0301_case_merged_into'
down_revision = '0300_operators'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_cases_merged_into', 'cases', ['merged_into'], unique=False)
    op.create_index('ix_cases_channel_id', 'cases', ['channel', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_cases_channel_id', table_name='cases')
    op.drop_index('ix_cases_merged_into', table_name='cases')
