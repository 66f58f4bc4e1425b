"""index on contact_identities.handle: the dashboard finds a contact by exact handle without scanning

Revision ID: 0302_identity_handle
Revises: 0301_case_merged_into
Create Date: 2026-11-23
"""

from alembic import op


revision = '0302_identity_handle'
down_revision = '0301_case_merged_into'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_contact_identities_handle', 'contact_identities', ['handle'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_contact_identities_handle', table_name='contact_identities')
