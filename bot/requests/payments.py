"""Payments: finding what the customer sent, and telling them how to pay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Optional
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from sqlalchemy.orm import Session

from bot.conversation.identity import Caller
from bot.conversation.references import Named, name_references
from bot.ledger.models import Customer, Invoice, Payment
from bot.settings import Settings

# A customer's "we paid on the 3rd" is the day they sent it; it lands days later.
DATE_TOLERANCE_DAYS = 5
RECENT_PAYMENTS = 3


def find_payments(session: Session, caller: Caller, reference: Optional[str] = None,
                  amount: Optional[Decimal] = None, sent_on: Optional[date] = None
                  ) -> list[Payment]:
    """The caller's payments matching what they told us, newest first; with nothing to
    go on, the most recent ones. A reference matches by its key (case, separators and
    padding aside, "ref 45123" for 000045123), never by a part of another reference."""
    if reference:
        return _newest_first(name_references(session, caller.customer_id, reference,
                                             account_number=caller.account_number).payments)
    payments = _newest_first(session.get(Customer, caller.customer_id).payments)
    if amount is not None:
        payments = [p for p in payments if p.amount == amount
                    or any(a.applied_amount == amount for a in p.applications)]
    if sent_on is not None:
        payments = [p for p in payments
                    if timedelta(0) <= p.received_date - sent_on
                    <= timedelta(days=DATE_TOLERANCE_DAYS)]
    if reference is None and amount is None and sent_on is None:
        return payments[:RECENT_PAYMENTS]
    return payments


def _newest_first(payments) -> list[Payment]:
    return sorted(payments, key=lambda p: (p.received_date, p.id), reverse=True)


def payments_for_invoice(invoice: Invoice) -> list[Payment]:
    """The payments applied to one invoice, newest first."""
    return _newest_first({a.payment for a in invoice.applications})


@dataclass(frozen=True)
class PaymentAnswer:
    """What to tell a customer who asks whether a payment arrived.

    kind: found (payments: the ones they named, or those applied to the invoice they
    named, or those matching the amount or date they gave) | not_found (they named a
    reference or number that is not theirs: said as written in `named`, no figure) |
    none_for_invoice (their invoice `named` has no payment yet) | latest (they named
    nothing: the latest payments, to be said as such) | no_match (nothing matches the
    amount or date; payments holds the latest) | none_on_file."""

    kind: str
    payments: list[Payment]
    named: Optional[str] = None


def answer_payment_question(session: Session, caller: Caller, named: Named,
                            amount: Optional[Decimal] = None, sent_on: Optional[date] = None
                            ) -> PaymentAnswer:
    """Only ever the payment the customer named, never another one in its place."""
    if named.payments:
        return PaymentAnswer("found", _newest_first(named.payments)[:RECENT_PAYMENTS])
    if named.unknown:
        return PaymentAnswer("not_found", [], named.unknown[0])
    if named.invoices:
        invoice = named.invoices[0]
        applied = payments_for_invoice(invoice)[:RECENT_PAYMENTS]
        return PaymentAnswer("found" if applied else "none_for_invoice", applied,
                             invoice.invoice_number)
    latest = find_payments(session, caller)
    if not latest:
        return PaymentAnswer("none_on_file", [])
    if amount is None and sent_on is None:
        return PaymentAnswer("latest", latest)
    matching = find_payments(session, caller, amount=amount, sent_on=sent_on)
    return PaymentAnswer("found", matching[:1]) if matching else PaymentAnswer("no_match", latest)


def _without_empty_parameters(url: str) -> str:
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if v])
    return urlunsplit(parts._replace(query=query)).rstrip("/")


@dataclass(frozen=True)
class PaymentOptions:
    pay_link: Optional[str]
    bank_instructions: Optional[str]
    currency: str


def payment_options(caller: Caller, invoice: Optional[Invoice], settings: Settings
                    ) -> PaymentOptions:
    """The pay-portal link (per invoice when one is named) and the bank instructions for
    the account's currency."""
    link = None
    if settings.pay_portal_url:
        link = _without_empty_parameters(settings.pay_portal_url.format(
            invoice_number=quote(invoice.invoice_number, safe="") if invoice else "",
            account_number=quote(caller.account_number, safe=""),
        ))
    return PaymentOptions(pay_link=link,
                          bank_instructions=settings.bank_instructions.get(caller.currency),
                          currency=caller.currency)
