"""review queue and ticket replies

Adds what the admin web needs: on questions, the raw platform recipient (to send a staff answer
to the asker while the platform's window is open) and who resolved the question, how and when;
on tickets, the staff reply and whether it reached the parent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 04:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reviewed_by', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolution_doc_id', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('answer_delivery', sa.String(length=20), nullable=False, server_default=''))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('replied_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reply_delivery', sa.String(length=20), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('reply_delivery')
        batch_op.drop_column('replied_at')
        batch_op.drop_column('reply')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('answer_delivery')
        batch_op.drop_column('resolution_doc_id')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewed_by')
        batch_op.drop_column('recipient')
