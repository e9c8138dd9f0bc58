"""handoff to AR collectors: ownership, card, snapshot, thread messages; account collector

Revision ID: 0006_handoff
Revises: 0005_documents
"""
from alembic import op
import sqlalchemy as sa
import bot.ledger.models


revision = '0006_handoff'
down_revision = '0005_documents'
branch_labels = None
depends_on = None

AWARE = bot.ledger.models.AwareDateTime(timezone=True)
HANDOFF_COLUMNS = (
    ('channel', sa.String(length=20)), ('address', sa.String(length=255)),
    ('language', sa.String(length=5)), ('snapshot', sa.JSON()),
    ('card_channel', sa.String(length=40)), ('card_ts', sa.String(length=40)),
    ('announced_at', AWARE), ('owner_slack_id', sa.String(length=40)),
    ('owner_name', sa.String(length=200)), ('claimed_at', AWARE), ('closed_at', AWARE),
    ('outcome', sa.String(length=40)), ('last_customer_message_at', AWARE),
)


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('collector_slack_id', sa.String(length=40), nullable=True))
    with op.batch_alter_table('handoff_requests', schema=None) as batch_op:
        for name, kind in HANDOFF_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.add_column(sa.Column('events_seen', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.create_table('handoff_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reading', sa.Text(), nullable=True),
    sa.Column('slack_ts', sa.String(length=40), nullable=True),
    sa.Column('delivery', sa.String(length=20), nullable=True),
    sa.Column('delivery_detail', sa.Text(), nullable=True),
    sa.Column('outbox_ids', sa.JSON(), nullable=True),
    sa.Column('created_at', AWARE, nullable=False),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoff_requests.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handoff_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_messages_handoff_id'), ['handoff_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handoff_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_messages_handoff_id'))
    op.drop_table('handoff_messages')
    with op.batch_alter_table('handoff_requests', schema=None) as batch_op:
        batch_op.drop_column('events_seen')
        for name, _kind in reversed(HANDOFF_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('collector_slack_id')
