"""lookup keys of invoice numbers and payment references

Revision ID: 0004_identifier_keys
Revises: 0003_console
"""
from alembic import op
import sqlalchemy as sa

from bot.ledger.identifier_keys import identifier_key, number_part

revision = "0004_identifier_keys"
down_revision = "0003_console"
branch_labels = None
depends_on = None

# (table, identifier column, key column, number-part column)
_KEYED = (("invoices", "invoice_number", "number_key", "number_digits"),
          ("payments", "payment_reference", "reference_key", "reference_digits"))


def upgrade() -> None:
    connection = op.get_bind()
    for table, identifier, key, digits in _KEYED:
        op.add_column(table, sa.Column(key, sa.String(length=60), nullable=True))
        op.add_column(table, sa.Column(digits, sa.String(length=60), nullable=True))
        op.create_index(f"ix_{table}_{key}", table, [key])
        op.create_index(f"ix_{table}_{digits}", table, [digits])
        rows = connection.execute(sa.text(f"select id, {identifier} from {table}")).all()
        for row_id, value in rows:
            value_key = identifier_key(value)
            connection.execute(
                sa.text(f"update {table} set {key} = :key, {digits} = :digits where id = :id"),
                {"key": value_key, "digits": number_part(value_key), "id": row_id})


def downgrade() -> None:
    for table, _identifier, key, digits in _KEYED:
        op.drop_index(f"ix_{table}_{digits}", table_name=table)
        op.drop_index(f"ix_{table}_{key}", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column(digits)
            batch.drop_column(key)
