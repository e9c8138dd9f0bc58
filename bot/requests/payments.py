"""Payments: finding what the customer sent, and telling them how to pay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Optional
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from sqlalchemy.orm import Session

from bot.conversation.identity import Caller
from bot.conversation.parsing import invoice_key
from bot.ledger.models import Customer, Invoice, Payment
from bot.settings import Settings

# A customer's "we paid on the 3rd" is the day they sent it; it lands days later.
DATE_TOLERANCE_DAYS = 5
RECENT_PAYMENTS = 3


def find_payments(session: Session, caller: Caller, reference: Optional[str] = None,
                  amount: Optional[Decimal] = None, sent_on: Optional[date] = None
                  ) -> list[Payment]:
    """The caller's payments matching what they told us, newest first; with nothing to
    go on, the most recent ones."""
    payments = sorted(session.get(Customer, caller.customer_id).payments,
                      key=lambda p: (p.received_date, p.id), reverse=True)
    if reference:
        wanted = invoice_key(reference)
        return [p for p in payments if wanted and (
            invoice_key(p.payment_reference) == wanted
            or invoice_key(p.payment_reference).endswith(wanted))]
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
            invoice_number=quote(invoice.invoice_number) if invoice else "",
            account_number=quote(caller.account_number),
        ))
    return PaymentOptions(pay_link=link,
                          bank_instructions=settings.bank_instructions.get(caller.currency),
                          currency=caller.currency)
