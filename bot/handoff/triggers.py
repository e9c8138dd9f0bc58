"""The business rules that send a conversation to a person without the customer asking."""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from sqlalchemy.orm import Session

from bot.conversation.identity import Caller
from bot.ledger.models import Customer, PaymentPlan
from bot.settings import Settings


def dispute_needs_person(amount: Decimal, settings: Settings) -> bool:
    """A dispute above HANDOFF_DISPUTE_THRESHOLD (in the account's currency)."""
    return amount > settings.handoff_dispute_threshold


def plan_needs_person(plan: PaymentPlan) -> bool:
    """A plan outside policy waits for AR: a person should take it up with the customer."""
    return plan.status == "pending_approval"


def email_not_on_file(session: Session, caller: Caller, email: Optional[str]) -> bool:
    """Documents asked for at an address no active contact of the account has."""
    if not email:
        return False
    wanted = email.strip().lower()
    customer = session.get(Customer, caller.customer_id)
    return all((c.email or "").lower() != wanted for c in customer.contacts
               if c.status == "active")
