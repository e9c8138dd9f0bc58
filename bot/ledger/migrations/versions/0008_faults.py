"""faults: per-sender rate limits and the messages held back (over the limit, assistant down)

Revision ID: 0008_faults
Revises: 0007_scale
"""
from alembic import op
import sqlalchemy as sa
import bot.ledger.models


revision = '0008_faults'
down_revision = '0007_scale'
branch_labels = None
depends_on = None

AWARE = bot.ledger.models.AwareDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('sender_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('sender', sa.String(length=255), nullable=False),
    sa.Column('window_number', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('notified', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'sender')
    )
    op.create_table('held_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('sender', sa.String(length=255), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('received_at', AWARE, nullable=False),
    sa.Column('claimed_at', AWARE, nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('held_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_messages_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_held_messages_sender'), ['sender'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('held_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_messages_sender'))
        batch_op.drop_index(batch_op.f('ix_held_messages_channel'))
    op.drop_table('held_messages')
    op.drop_table('sender_rates')
