"""Promises to pay: an amount on a date, checked against the calendar and the balance."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Optional

from sqlalchemy.orm import Session

from bot.conversation.identity import Caller
from bot.ledger.audit import record
from bot.ledger.figures import account_summary
from bot.ledger.models import Customer, Invoice, PromiseToPay
from bot.ledger.references import new_reference


class PromiseInputError(ValueError):
    def __init__(self, code: str, **details):
        self.code, self.details = code, details
        super().__init__(code)


def check_promise_date(promised: date, today: date, horizon_days: int) -> None:
    if promised < today:
        raise PromiseInputError("date_in_past")
    if promised > today + timedelta(days=horizon_days):
        raise PromiseInputError("date_beyond_horizon",
                                latest=today + timedelta(days=horizon_days))


def record_promise(session: Session, caller: Caller, amount: Decimal, promised: date,
                   today: date, horizon_days: int, invoice: Optional[Invoice] = None
                   ) -> PromiseToPay:
    check_promise_date(promised, today, horizon_days)
    if amount <= 0:
        raise PromiseInputError("amount_not_positive")
    balance = account_summary(session.get(Customer, caller.customer_id), today).net_balance
    if amount > balance:
        raise PromiseInputError("amount_above_balance", balance=balance)
    promise = PromiseToPay(reference=new_reference("PTP"), customer_id=caller.customer_id,
                           contact_id=caller.contact_id,
                           invoice_id=invoice.id if invoice else None,
                           amount=amount, promised_date=promised)
    session.add(promise)
    session.flush()
    record(session, actor=caller.actor, action="promise_to_pay_recorded", entity="promise",
           entity_id=promise.id, details={"reference": promise.reference,
                                          "amount": str(amount), "date": promised.isoformat()})
    return promise
