"""outbox claims: which server is sending a row, and until when, so that servers sharing
one database never send the same message twice

Revision ID: 0007_scale
Revises: 0006_handoff
"""
from alembic import op
import sqlalchemy as sa
import bot.ledger.models


revision = '0007_scale'
down_revision = '0006_handoff'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column(
            'claimed_until', bot.ledger.models.AwareDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')
