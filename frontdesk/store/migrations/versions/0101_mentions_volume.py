"""mentions: a covering index for the volume chart (time, network, sentiment)

Revision ID: 0101_mentions_volume
Revises: 0100_mentions
Create Date: 2026-11-23
"""

from alembic import op


revision = '0101_mentions_volume'
down_revision = '0100_mentions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index('ix_mentions_at_channel_label', ['at', 'channel', 'sentiment_label'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_mentions_at_channel_label')
