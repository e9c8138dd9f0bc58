"""What an invoice copy and a statement of account say, gathered from the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Optional

from bot.ledger.figures import (AGING_BUCKETS, ZERO, account_summary, aging_bucket,
                                open_amount)
from bot.ledger.models import Customer, Invoice


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Settlement:
    """A payment or credit note applied to an invoice."""

    kind: str  # payment | credit
    reference: str
    on: date
    amount: Decimal


@dataclass(frozen=True)
class InvoiceCopy:
    invoice_number: str
    account_number: str
    customer_name: str
    currency: str
    issue_date: date
    due_date: date
    po_number: Optional[str]
    lines: tuple[Line, ...]
    total: Decimal
    tax: Optional[Decimal]  # None: the ledger records no tax for it
    settlements: tuple[Settlement, ...]
    open_amount: Decimal
    days_overdue: int
    language: str
    pay_link: str
    bank_instructions: Optional[str]


def invoice_copy(invoice: Invoice, today: date, language: str, pay_portal_url: str,
                 bank_instructions: dict[str, str]) -> InvoiceCopy:
    customer = invoice.customer
    lines = tuple(Line(l.description, l.quantity, l.unit_price)
                  for l in sorted(invoice.lines, key=lambda l: l.line_number))
    if not lines or sum((l.amount for l in lines), ZERO) != invoice.amount:
        # The ledger has the total but no (or incomplete) lines: one line carries it, so
        # the copy never shows lines that do not add up to what is owed.
        lines = (Line(invoice.description or invoice.invoice_number, Decimal("1"),
                      invoice.amount),)
    settlements = [Settlement("payment", a.payment.payment_reference, a.payment.received_date,
                              a.applied_amount) for a in invoice.applications]
    settlements += [Settlement("credit", c.credit_note_number, c.issue_date, c.amount)
                    for c in invoice.credit_notes]
    remaining = open_amount(invoice)
    return InvoiceCopy(
        invoice_number=invoice.invoice_number, account_number=customer.account_number,
        customer_name=customer.name, currency=invoice.currency,
        issue_date=invoice.issue_date, due_date=invoice.due_date,
        po_number=invoice.po_number, lines=lines, total=invoice.amount, tax=None,
        settlements=tuple(sorted(settlements, key=lambda s: (s.on, s.reference))),
        open_amount=remaining,
        days_overdue=max((today - invoice.due_date).days, 0) if remaining > ZERO else 0,
        language=language,
        pay_link=pay_portal_url.format(account_number=customer.account_number,
                                       invoice_number=invoice.invoice_number),
        bank_instructions=bank_instructions.get(invoice.currency))


@dataclass(frozen=True)
class OpenItem:
    invoice_number: str
    issue_date: date
    due_date: date
    amount: Decimal
    open_amount: Decimal
    days_overdue: int
    bucket: str


@dataclass(frozen=True)
class Movement:
    """One entry of an activity statement: an invoice (+), a payment or credit (-)."""

    on: date
    kind: str  # invoice | payment | credit
    reference: str
    amount: Decimal  # signed: what it does to the balance
    balance: Decimal


@dataclass(frozen=True)
class Activity:
    start: date
    end: date
    opening_balance: Decimal
    movements: tuple[Movement, ...]
    closing_balance: Decimal


@dataclass(frozen=True)
class Statement:
    account_number: str
    customer_name: str
    currency: str
    as_of: date
    language: str
    open_items: tuple[OpenItem, ...]
    aging: dict[str, Decimal]
    open_total: Decimal
    unapplied_credits: Decimal
    activity: Optional[Activity] = None
    totals_by_currency: dict[str, Decimal] = field(default_factory=dict)

    @property
    def balance(self) -> Decimal:
        return self.open_total - self.unapplied_credits


def _movements(customer: Customer) -> list[tuple[date, int, str, str, Decimal]]:
    entries = [(i.issue_date, 0, "invoice", i.invoice_number, i.amount) for i in customer.invoices]
    entries += [(p.received_date, 1, "payment", p.payment_reference, -p.amount)
                for p in customer.payments]
    entries += [(c.issue_date, 2, "credit", c.credit_note_number, -c.amount)
                for c in customer.credit_notes]
    return sorted(entries)


def activity(customer: Customer, start: date, end: date) -> Activity:
    """Opening balance the day before start, every invoice, payment and credit from start
    to end, and the balance after each."""
    entries = _movements(customer)
    balance = sum((e[4] for e in entries if e[0] < start), ZERO)
    opening, moves = balance, []
    for on, _order, kind, reference, amount in entries:
        if start <= on <= end:
            balance += amount
            moves.append(Movement(on, kind, reference, amount, balance))
    return Activity(start, end, opening, tuple(moves), balance)


def statement(customer: Customer, today: date, language: str,
              period: Optional[tuple[date, date]] = None) -> Statement:
    summary = account_summary(customer, today)
    items = tuple(OpenItem(i.invoice_number, i.issue_date, i.due_date, i.amount,
                           i.open_amount, max((today - i.due_date).days, 0),
                           aging_bucket(i.due_date, today))
                  for i in summary.open_invoices)
    return Statement(
        account_number=customer.account_number, customer_name=customer.name,
        currency=customer.currency, as_of=today, language=language, open_items=items,
        aging={b: summary.aging[b] for b in AGING_BUCKETS}, open_total=summary.open_total,
        unapplied_credits=summary.unapplied_credits,
        activity=activity(customer, *period) if period else None,
        totals_by_currency={customer.currency: summary.open_total})
