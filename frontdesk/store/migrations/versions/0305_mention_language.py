"""mentions.language: the language of a public mention (ISO 639 code), when it could be told, for the
mentions view's language filter and export

Revision ID: 0305_mention_language
Revises: 0304_message_language
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op


revision = '0305_mention_language'
down_revision = '0304_message_language'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mentions') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.create_index('ix_mentions_language_at', ['language', 'at'])


def downgrade() -> None:
    with op.batch_alter_table('mentions') as batch_op:
        batch_op.drop_index('ix_mentions_language_at')
        batch_op.drop_column('language')
