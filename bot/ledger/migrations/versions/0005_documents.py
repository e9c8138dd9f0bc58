"""document delivery: language, period, link, opened/sent on document requests; a
document reference and media URL on outbox messages

Revision ID: 0005_documents
Revises: 0004_identifier_keys
"""
from alembic import op
import sqlalchemy as sa
import bot.ledger.models


revision = "0005_documents"
down_revision = "0004_identifier_keys"
branch_labels = None
depends_on = None

AWARE = bot.ledger.models.AwareDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("document_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("period_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("period_end", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("conversation_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("link_expires_at", AWARE, nullable=True))
        batch_op.add_column(sa.Column("revoked_at", AWARE, nullable=True))
        batch_op.add_column(sa.Column("opened_at", AWARE, nullable=True))
        batch_op.add_column(sa.Column("sent_at", AWARE, nullable=True))
        batch_op.create_index(batch_op.f("ix_document_requests_conversation_id"),
                              ["conversation_id"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_request_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("media_url", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_document_request_id"),
                              ["document_request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_document_request_id"))
        batch_op.drop_column("media_url")
        batch_op.drop_column("document_request_id")
    with op.batch_alter_table("document_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_requests_conversation_id"))
        for column in ("sent_at", "opened_at", "revoked_at", "link_expires_at",
                       "conversation_id", "period_end", "period_start", "language"):
            batch_op.drop_column(column)
