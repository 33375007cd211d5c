"""tentative answers

Marks the questions the bot answered with the caveat that the answer may not match what was
asked (close to the abstention threshold, or a phone number or name asked for and not given),
so they stay in the review queue.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tentative', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('tentative')
