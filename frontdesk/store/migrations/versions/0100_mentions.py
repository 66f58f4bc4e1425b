"""mentions index for the marketing view

Revision ID: 0100_mentions
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0100_mentions'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mentions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('stream', sa.String(length=300), nullable=False),
    sa.Column('author_id', sa.String(length=128), nullable=False),
    sa.Column('author_handle', sa.String(length=256), nullable=False),
    sa.Column('author_name', sa.String(length=256), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=1024), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sentiment', sa.Float(), nullable=False),
    sa.Column('sentiment_label', sa.String(length=8), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('hashtags', sa.String(length=1024), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'external_id', name='uq_mentions_channel_external')
    )
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index('ix_mentions_at', ['at'], unique=False)
        batch_op.create_index('ix_mentions_label_at', ['sentiment_label', 'at'], unique=False)
        batch_op.create_index('ix_mentions_channel_at', ['channel', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_mentions_channel_at')
        batch_op.drop_index('ix_mentions_label_at')
        batch_op.drop_index('ix_mentions_at')
    op.drop_table('mentions')
