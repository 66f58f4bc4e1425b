"""index on thread_keys.key: near-duplicate lookups ask by key on every channel, which the (channel, key)
unique index cannot serve, so each routed message scanned the whole table

Revision ID: 0303_thread_key_index
Revises: 0302_identity_handle
Create Date: 2026-12-04
"""

from alembic import op


revision = '0303_thread_key_index'
down_revision = '0302_identity_handle'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_thread_keys_key', 'thread_keys', ['key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_thread_keys_key', table_name='thread_keys')
