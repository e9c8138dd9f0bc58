"""What the ledger says, written as the assistant writes it: what tests expect to read."""

from __future__ import annotations

from sqlalchemy import select

from bot.conversation import formatting
from bot.ledger.figures import account_summary
from bot.ledger.models import Customer
from bot.runtime.app import ARApp
from tests.conftest import BUSINESS_DATE


def open_total(app: ARApp, account_number: str) -> str:
    """What the account owes at the business date, in its currency and language."""
    with app.session() as session:
        customer = session.scalars(select(Customer).where(
            Customer.account_number == account_number)).one()
        summary = account_summary(customer, BUSINESS_DATE)
        return formatting.money(summary.open_total, customer.currency, customer.language)
