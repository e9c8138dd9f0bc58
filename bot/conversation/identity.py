"""Who is talking: ties a conversation to a customer (and contact) before any figure is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import bindparam, func, select
from sqlalchemy.sql import Select
from sqlalchemy.orm import Session

from bot.conversation.references import name_references
from bot.ledger.audit import record
from bot.ledger.models import Contact, Customer, Invoice, VerificationAttempt, VerifiedConversation
from bot.settings import Settings

# Channels whose connector proves the sender: the provider signs each request and the
# sender id is the phone number or Slack user id it vouches for. Anything else (REST,
# web chat) proves nothing and must verify.
PHONE_CHANNELS = frozenset({"twilio", "twilio_messaging", "whatsapp"})
SLACK_CHANNELS = frozenset({"slack", "slack_customers"})


@dataclass(frozen=True)
class Caller:
    """The verified party of a conversation. contact_id is None when the sender proved
    the account (web chat) but not which of its contacts they are."""

    customer_id: int
    account_number: str
    customer_name: str
    currency: str
    contact_id: Optional[int]
    contact_name: Optional[str]
    language: str
    verified_by: str  # phone | slack | knowledge

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        if self.contact_id:
            return f"contact:{self.contact_id}"
        return f"account:{self.account_number}"


def _caller(customer: Customer, contact: Optional[Contact], verified_by: str) -> Caller:
    return Caller(
        customer_id=customer.id,
        account_number=customer.account_number,
        customer_name=customer.name,
        currency=customer.currency,
        contact_id=contact.id if contact else None,
        contact_name=contact.name if contact else None,
        language=(contact.language if contact and contact.language else customer.language),
        verified_by=verified_by,
    )


def _phone_of(sender_id: str) -> str:
    return sender_id.split(":", 1)[1] if sender_id.startswith("whatsapp:") else sender_id


# What a Caller is made of, read as plain rows by statements built once: identify runs
# several times per message, and building the ORM query and loading a Contact and its
# Customer cost more than the lookup (README, "Speed").
_CALLER_COLUMNS = (Customer.id, Customer.account_number, Customer.name, Customer.currency,
                   Customer.language, Contact.id, Contact.name, Contact.language)


def _by_contact(column) -> Select:
    return (select(*_CALLER_COLUMNS).join(Customer, Customer.id == Contact.customer_id)
            .where(column == bindparam("who"), Contact.status == "active")
            .order_by(Contact.id).limit(1))


_BY_PHONE = _by_contact(Contact.phone)
_BY_SLACK_USER = _by_contact(Contact.slack_user_id)
_BY_VERIFICATION = (
    select(*_CALLER_COLUMNS)
    .select_from(VerifiedConversation)
    .join(Customer, Customer.id == VerifiedConversation.customer_id)
    .outerjoin(Contact, Contact.id == VerifiedConversation.contact_id)
    .where(VerifiedConversation.conversation_id == bindparam("who"),
           VerifiedConversation.expires_at > bindparam("now"))
    .limit(1))


def _caller_of_row(row, verified_by: str) -> Caller:
    (customer_id, account_number, customer_name, currency, customer_language, contact_id,
     contact_name, contact_language) = row
    return Caller(customer_id=customer_id, account_number=account_number,
                  customer_name=customer_name, currency=currency, contact_id=contact_id,
                  contact_name=contact_name, language=contact_language or customer_language,
                  verified_by=verified_by)


def identify(session: Session, conversation_id: str, channel: Optional[str],
             now: datetime) -> Optional[Caller]:
    """The caller of a conversation, or None while they have not been identified."""
    if channel in PHONE_CHANNELS:
        row = session.execute(_BY_PHONE, {"who": _phone_of(conversation_id)}).first()
        if row:
            return _caller_of_row(row, "phone")
    elif channel in SLACK_CHANNELS:
        row = session.execute(_BY_SLACK_USER, {"who": conversation_id}).first()
        if row:
            return _caller_of_row(row, "slack")
    row = session.execute(_BY_VERIFICATION, {"who": conversation_id, "now": now}).first()
    return _caller_of_row(row, "knowledge") if row else None


def link_slack_user_by_email(session: Session, slack_user_id: str, email: str
                             ) -> Optional[Caller]:
    """Tie a Slack user to the active contact whose email Slack confirmed is theirs, so
    later messages identify by Slack user id. Nobody when no contact or more than one
    has that email, or when it is tied to another Slack user already."""
    matches = session.scalars(select(Contact).where(
        func.lower(Contact.email) == email.strip().lower(), Contact.status == "active")
    ).all()
    if len(matches) != 1 or matches[0].slack_user_id:
        return None
    contact = matches[0]
    contact.slack_user_id = slack_user_id
    record(session, actor=f"slack:{slack_user_id}", action="slack_user_linked",
           entity="contact", entity_id=contact.id, details={"method": "verified email"})
    return _caller(contact.customer, contact, "slack")


@dataclass(frozen=True)
class VerificationResult:
    status: str  # verified | mismatch | locked
    caller: Optional[Caller] = None
    attempts_left: int = 0


def _failures_since(session: Session, since: datetime, **where) -> int:
    query = select(func.count(VerificationAttempt.id)).where(
        VerificationAttempt.succeeded.is_(False), VerificationAttempt.created_at > since
    )
    for column, value in where.items():
        query = query.where(getattr(VerificationAttempt, column) == value)
    return session.scalar(query)


def verify_by_knowledge(session: Session, conversation_id: str, account_text: str,
                        invoice_text: str, settings: Settings, now: datetime
                        ) -> VerificationResult:
    """Verify a web-chat sender by account number plus the number of any of its invoices.

    Failures are limited per conversation and per account within a window, so neither
    one conversation nor many can guess their way in. A wrong account and a wrong
    invoice give the same answer.
    """
    since = now - timedelta(minutes=settings.verification_window_minutes)
    account_number = (account_text or "").strip().upper()[:40]
    conversation_failures = _failures_since(session, since, conversation_id=conversation_id)
    account_failures = _failures_since(session, since, account_number=account_number)
    if (conversation_failures >= settings.verification_max_attempts
            or account_failures >= settings.verification_max_account_failures):
        return VerificationResult("locked")

    customer = session.scalars(
        select(Customer).where(func.upper(Customer.account_number) == account_number)
    ).first()
    invoice = _first_invoice(session, customer.id, customer.account_number,
                             invoice_text) if customer else None
    succeeded = invoice is not None
    session.add(VerificationAttempt(conversation_id=conversation_id,
                                    account_number=account_number, succeeded=succeeded))
    if not succeeded:
        left = settings.verification_max_attempts - conversation_failures - 1
        return VerificationResult("locked" if left <= 0 else "mismatch", attempts_left=left)

    session.query(VerifiedConversation).filter_by(conversation_id=conversation_id).delete()
    session.add(VerifiedConversation(
        conversation_id=conversation_id, customer_id=customer.id, contact_id=None,
        verified_at=now, expires_at=now + timedelta(hours=settings.verification_ttl_hours),
    ))
    record(session, actor=f"conversation:{conversation_id}", action="verified",
           entity="customer", entity_id=customer.id, details={"method": "account+invoice"})
    return VerificationResult("verified", caller=_caller(customer, None, "knowledge"))


def _first_invoice(session: Session, customer_id: int, account_number: str, text: str
                   ) -> Optional[Invoice]:
    named = name_references(session, customer_id, text or "", account_number=account_number)
    return named.invoices[0] if named.invoices else None


def find_invoice(session: Session, caller: Caller, text: str) -> Optional[Invoice]:
    """The caller's own invoice that text names, whatever its shape ("81234", "2026/0142",
    "fac 123" for FAC-000123); another customer's is never found."""
    return _first_invoice(session, caller.customer_id, caller.account_number, text)
