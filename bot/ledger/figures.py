"""Figures derived from the ledger: open amounts, status, aging. Nothing here is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Optional

from bot.ledger.models import Customer, Invoice, Payment

ZERO = Decimal("0")

AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def aging_bucket(due_date: date, today: date) -> str:
    days_past_due = (today - due_date).days
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "90+"


def paid_amount(invoice: Invoice) -> Decimal:
    return sum((a.applied_amount for a in invoice.applications), ZERO)


def credited_amount(invoice: Invoice) -> Decimal:
    return sum((c.amount for c in invoice.credit_notes), ZERO)


def open_amount(invoice: Invoice) -> Decimal:
    return max(invoice.amount - paid_amount(invoice) - credited_amount(invoice), ZERO)


def overpaid_amount(invoice: Invoice) -> Decimal:
    """What payments and credits put on an invoice beyond its amount: the customer's money."""
    return max(paid_amount(invoice) + credited_amount(invoice) - invoice.amount, ZERO)


def open_disputes(invoice: Invoice):
    return [d for d in invoice.disputes if d.status == "open"]


def on_collections_hold(invoice: Invoice) -> bool:
    return bool(open_disputes(invoice))


def invoice_status(invoice: Invoice, today: date) -> str:
    """paid, disputed, overdue, partially_paid or open; the first that applies."""
    remaining = open_amount(invoice)
    if remaining == ZERO:
        return "paid"
    if on_collections_hold(invoice):
        return "disputed"
    if invoice.due_date < today:
        return "overdue"
    if remaining < invoice.amount:
        return "partially_paid"
    return "open"


def last_payment(invoice: Invoice) -> Optional[Payment]:
    payments = [a.payment for a in invoice.applications]
    return max(payments, key=lambda p: (p.received_date, p.id)) if payments else None


def unapplied_payment_amount(payment: Payment) -> Decimal:
    return max(payment.amount - sum((a.applied_amount for a in payment.applications), ZERO), ZERO)


@dataclass
class AccountSummary:
    currency: str
    open_total: Decimal
    overdue_total: Decimal
    unapplied_credits: Decimal
    aging: dict[str, Decimal]
    open_invoice_count: int
    oldest_overdue: Optional[Invoice] = None
    open_invoices: list[Invoice] = field(default_factory=list)

    @property
    def net_balance(self) -> Decimal:
        return self.open_total - self.unapplied_credits


def account_summary(customer: Customer, today: date) -> AccountSummary:
    aging = {bucket: ZERO for bucket in AGING_BUCKETS}
    open_invoices = [i for i in customer.invoices if open_amount(i) > ZERO]
    for invoice in open_invoices:
        aging[aging_bucket(invoice.due_date, today)] += open_amount(invoice)
    overdue = [i for i in open_invoices if i.due_date < today]
    unapplied = sum((unapplied_payment_amount(p) for p in customer.payments), ZERO) + sum(
        (c.amount for c in customer.credit_notes if c.invoice_id is None), ZERO
    ) + sum((overpaid_amount(i) for i in customer.invoices), ZERO)
    return AccountSummary(
        currency=customer.currency,
        open_total=sum((open_amount(i) for i in open_invoices), ZERO),
        overdue_total=sum((open_amount(i) for i in overdue), ZERO),
        unapplied_credits=unapplied,
        aging=aging,
        open_invoice_count=len(open_invoices),
        oldest_overdue=min(overdue, key=lambda i: (i.due_date, i.id)) if overdue else None,
        open_invoices=sorted(open_invoices, key=lambda i: (i.due_date, i.id)),
    )
