"""messages.language: the language a message is written in (ISO 639 code), when the classifier could tell;
acknowledgments are written in it where a template exists

Revision ID: 0304_message_language
Revises: 0303_thread_key_index
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op


revision = '0304_message_language'
down_revision = '0303_thread_key_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages') as batch_op:
        batch_op.drop_column('language')
