"""indexes the router's lookups need: thread_keys.key (near-duplicate lookups ask by key on every channel,
which the (channel, key) unique index cannot serve) and lower(contacts.email) (cross-channel linking by
email); without them each routed message scanned a table

Revision ID: 0303_thread_key_index
Revises: 0302_identity_handle
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op


revision = '0303_thread_key_index'
down_revision = '0302_identity_handle'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_thread_keys_key', 'thread_keys', ['key'], unique=False)
    op.create_index('ix_contacts_email_lower', 'contacts', [sa.text('lower(email)')], unique=False)


def downgrade() -> None:
    op.drop_index('ix_contacts_email_lower', table_name='contacts')
    op.drop_index('ix_thread_keys_key', table_name='thread_keys')
