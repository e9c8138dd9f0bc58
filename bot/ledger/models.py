"""The AR ledger's tables: what is stored; everything derived lives in bot.ledger.figures."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship, validates

from bot.ledger.identifier_keys import identifier_key, number_part


class Money(TypeDecorator):
    """Decimal stored as text: exact on every database, SQLite included."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


class AwareDateTime(TypeDecorator):
    """Timestamps are UTC and come back timezone-aware, even from SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to an aware column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


CONTACT_CHANNELS = ("email", "sms", "whatsapp", "slack", "phone")
PAYMENT_METHODS = ("ach", "wire", "check", "card")

Base = declarative_base()


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    account_number = Column(String(40), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    currency = Column(String(3), nullable=False)
    payment_terms_days = Column(Integer, nullable=False, default=30)
    credit_limit = Column(Money, nullable=True)
    language = Column(String(5), nullable=False, default="en")
    # The AR collector who looks after the account, mentioned on its handoff cards.
    collector_slack_id = Column(String(40), nullable=True)

    contacts = relationship("Contact", back_populates="customer", order_by="Contact.id")
    invoices = relationship("Invoice", back_populates="customer", order_by="Invoice.due_date")
    payments = relationship("Payment", back_populates="customer", order_by="Payment.received_date")
    credit_notes = relationship("CreditNote", back_populates="customer")


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("customer_id", "email", name="uq_contact_email"),)
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    name = Column(String(200), nullable=False)
    phone = Column(String(20), nullable=True, index=True)  # E.164
    email = Column(String(254), nullable=True)
    slack_user_id = Column(String(40), nullable=True, index=True)
    preferred_channel = Column(String(20), nullable=False, default="email")
    language = Column(String(5), nullable=True)
    notes = Column(Text, nullable=True)
    # A contact added through the assistant waits for AR to confirm it.
    status = Column(String(20), nullable=False, default="active")

    customer = relationship("Customer", back_populates="contacts")


class Invoice(Base):
    __tablename__ = "invoices"
    id = Column(Integer, primary_key=True)
    invoice_number = Column(String(40), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    issue_date = Column(Date, nullable=False)
    due_date = Column(Date, nullable=False)
    amount = Column(Money, nullable=False)
    currency = Column(String(3), nullable=False)
    po_number = Column(String(60), nullable=True)
    description = Column(Text, nullable=True)
    # What customers write is looked up by these (bot.ledger.identifier_keys), set
    # whenever the number is.
    number_key = Column(String(60), nullable=True, index=True)
    number_digits = Column(String(60), nullable=True, index=True)

    customer = relationship("Customer", back_populates="invoices")
    lines = relationship("InvoiceLine", back_populates="invoice", order_by="InvoiceLine.line_number")
    # Loaded with the invoices they belong to, a few queries for all of them (selectin):
    # a customer's balance reads them for every invoice, 5,000 for some customers.
    applications = relationship("PaymentApplication", back_populates="invoice", lazy="selectin")
    credit_notes = relationship("CreditNote", back_populates="invoice", lazy="selectin")
    disputes = relationship("Dispute", back_populates="invoice", lazy="selectin")

    @validates("invoice_number")
    def _set_keys(self, _name, value):
        self.number_key = identifier_key(value)
        self.number_digits = number_part(self.number_key)
        return value


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    id = Column(Integer, primary_key=True)
    invoice_id = Column(ForeignKey("invoices.id"), nullable=False, index=True)
    line_number = Column(Integer, nullable=False)
    description = Column(Text, nullable=False)
    quantity = Column(Money, nullable=False)
    unit_price = Column(Money, nullable=False)

    invoice = relationship("Invoice", back_populates="lines")


class Payment(Base):
    __tablename__ = "payments"
    id = Column(Integer, primary_key=True)
    payment_reference = Column(String(60), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    received_date = Column(Date, nullable=False)
    amount = Column(Money, nullable=False)
    method = Column(String(10), nullable=False)  # ach, wire, check, card
    reference_key = Column(String(60), nullable=True, index=True)
    reference_digits = Column(String(60), nullable=True, index=True)

    customer = relationship("Customer", back_populates="payments")
    applications = relationship("PaymentApplication", back_populates="payment", lazy="selectin")

    @validates("payment_reference")
    def _set_keys(self, _name, value):
        self.reference_key = identifier_key(value)
        self.reference_digits = number_part(self.reference_key)
        return value


class PaymentApplication(Base):
    __tablename__ = "payment_applications"
    __table_args__ = (UniqueConstraint("payment_id", "invoice_id", name="uq_application"),)
    id = Column(Integer, primary_key=True)
    payment_id = Column(ForeignKey("payments.id"), nullable=False, index=True)
    invoice_id = Column(ForeignKey("invoices.id"), nullable=False, index=True)
    applied_amount = Column(Money, nullable=False)

    payment = relationship("Payment", back_populates="applications")
    invoice = relationship("Invoice", back_populates="applications")


class CreditNote(Base):
    __tablename__ = "credit_notes"
    id = Column(Integer, primary_key=True)
    credit_note_number = Column(String(40), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    invoice_id = Column(ForeignKey("invoices.id"), nullable=True, index=True)
    issue_date = Column(Date, nullable=False)
    amount = Column(Money, nullable=False)
    reason = Column(Text, nullable=True)

    customer = relationship("Customer", back_populates="credit_notes")
    invoice = relationship("Invoice", back_populates="credit_notes")


class PaymentPlan(Base):
    __tablename__ = "payment_plans"
    id = Column(Integer, primary_key=True)
    reference = Column(String(20), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    contact_id = Column(ForeignKey("contacts.id"), nullable=True)
    total_amount = Column(Money, nullable=False)
    instalment_count = Column(Integer, nullable=False)
    start_date = Column(Date, nullable=False)
    # approved | pending_approval | broken | completed | cancelled
    status = Column(String(20), nullable=False)
    decision_reasons = Column(JSON, nullable=False, default=list)
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)

    instalments = relationship(
        "PlanInstalment", back_populates="plan", order_by="PlanInstalment.sequence"
    )


class PlanInstalment(Base):
    __tablename__ = "plan_instalments"
    id = Column(Integer, primary_key=True)
    plan_id = Column(ForeignKey("payment_plans.id"), nullable=False, index=True)
    sequence = Column(Integer, nullable=False)
    due_date = Column(Date, nullable=False)
    amount = Column(Money, nullable=False)

    plan = relationship("PaymentPlan", back_populates="instalments")


class Dispute(Base):
    __tablename__ = "disputes"
    id = Column(Integer, primary_key=True)
    reference = Column(String(20), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    invoice_id = Column(ForeignKey("invoices.id"), nullable=False, index=True)
    contact_id = Column(ForeignKey("contacts.id"), nullable=True)
    reason = Column(String(20), nullable=False)
    amount = Column(Money, nullable=False)
    description = Column(Text, nullable=True)
    status = Column(String(20), nullable=False, default="open")  # open | resolved | rejected
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)

    invoice = relationship("Invoice", back_populates="disputes")


class PromiseToPay(Base):
    __tablename__ = "promises_to_pay"
    id = Column(Integer, primary_key=True)
    reference = Column(String(20), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    contact_id = Column(ForeignKey("contacts.id"), nullable=True)
    invoice_id = Column(ForeignKey("invoices.id"), nullable=True)
    amount = Column(Money, nullable=False)
    promised_date = Column(Date, nullable=False)
    status = Column(String(20), nullable=False, default="open")  # open | kept | broken
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)


class ContactChange(Base):
    __tablename__ = "contact_changes"
    id = Column(Integer, primary_key=True)
    reference = Column(String(20), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    contact_id = Column(ForeignKey("contacts.id"), nullable=True)
    field = Column(String(30), nullable=False)  # channel | email | phone | language | new_contact
    old_value = Column(Text, nullable=True)
    new_value = Column(Text, nullable=False)
    status = Column(String(30), nullable=False)  # applied | pending_confirmation
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)


class DocumentRequest(Base):
    __tablename__ = "document_requests"
    id = Column(Integer, primary_key=True)
    reference = Column(String(20), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    contact_id = Column(ForeignKey("contacts.id"), nullable=True)
    kind = Column(String(20), nullable=False)  # invoice_copy | statement
    invoice_id = Column(ForeignKey("invoices.id"), nullable=True)
    channel = Column(String(20), nullable=False)
    destination = Column(String(254), nullable=False)
    status = Column(String(20), nullable=False, default="queued")
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)
    # Delivery (bot/documents): queued | sent | link_sent | awaiting_approval | failed.
    language = Column(String(5), nullable=True)
    period_start = Column(Date, nullable=True)  # activity statements
    period_end = Column(Date, nullable=True)
    conversation_id = Column(String(255), nullable=True, index=True)
    link_expires_at = Column(AwareDateTime, nullable=True)
    revoked_at = Column(AwareDateTime, nullable=True)
    opened_at = Column(AwareDateTime, nullable=True)
    sent_at = Column(AwareDateTime, nullable=True)


class HandoffRequest(Base):
    """A conversation handed to an AR collector: why, what the collector was shown (the
    snapshot), where its Slack card is, who owns it and how it ended."""

    __tablename__ = "handoff_requests"
    id = Column(Integer, primary_key=True)
    reference = Column(String(20), nullable=False, unique=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=True)
    contact_id = Column(ForeignKey("contacts.id"), nullable=True)
    reason = Column(String(40), nullable=False)  # one of bot.handoff.reasons.REASONS
    # requested (waiting) | claimed (a person owns it) | returned (to the bot) | resolved
    status = Column(String(20), nullable=False, default="requested")
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)
    channel = Column(String(20), nullable=True)  # sms | whatsapp | slack | webchat | rest
    address = Column(String(255), nullable=True)  # where the customer's replies go
    language = Column(String(5), nullable=True)
    snapshot = Column(JSON, nullable=True)
    card_channel = Column(String(40), nullable=True)
    card_ts = Column(String(40), nullable=True)
    announced_at = Column(AwareDateTime, nullable=True)
    owner_slack_id = Column(String(40), nullable=True)
    owner_name = Column(String(200), nullable=True)
    claimed_at = Column(AwareDateTime, nullable=True)
    closed_at = Column(AwareDateTime, nullable=True)
    outcome = Column(String(40), nullable=True)
    last_customer_message_at = Column(AwareDateTime, nullable=True)
    # How many tracker events were already shown in the card or its thread.
    events_seen = Column(Integer, nullable=False, default=0, server_default="0")

    messages = relationship("HandoffMessage", back_populates="handoff",
                            order_by="HandoffMessage.id")


class HandoffMessage(Base):
    """One line of a handoff's thread: a customer's message, the bot's, a collector's
    reply (with whether it reached the customer) or an internal note."""

    __tablename__ = "handoff_messages"
    id = Column(Integer, primary_key=True)
    handoff_id = Column(ForeignKey("handoff_requests.id"), nullable=False, index=True)
    kind = Column(String(20), nullable=False)  # customer | bot | collector | note | system
    author = Column(String(200), nullable=True)
    text = Column(Text, nullable=False)
    reading = Column(Text, nullable=True)  # the bot's English reading of a customer message
    slack_ts = Column(String(40), nullable=True)  # the collector's message in the thread
    delivery = Column(String(20), nullable=True)  # pending | delivered | not_sent | failed
    delivery_detail = Column(Text, nullable=True)
    outbox_ids = Column(JSON, nullable=True)
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)

    handoff = relationship("HandoffRequest", back_populates="messages")


class VerifiedConversation(Base):
    """A conversation whose sender proved who they are (web chat, REST)."""

    __tablename__ = "verified_conversations"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False)
    contact_id = Column(ForeignKey("contacts.id"), nullable=True)
    verified_at = Column(AwareDateTime, nullable=False, default=utcnow)
    expires_at = Column(AwareDateTime, nullable=False)


class VerificationAttempt(Base):
    __tablename__ = "verification_attempts"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    account_number = Column(String(40), nullable=True, index=True)
    succeeded = Column(Boolean, nullable=False)
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)


class AuditEntry(Base):
    """Everything the assistant changed, by whom, when."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(AwareDateTime, nullable=False, default=utcnow)
    actor = Column(String(120), nullable=False)
    action = Column(String(60), nullable=False)
    entity = Column(String(40), nullable=False)
    entity_id = Column(Integer, nullable=True)
    details = Column(JSON, nullable=False, default=dict)


class ChannelDelivery(Base):
    """An inbound delivery a channel provider made (Twilio MessageSid, Slack event_id):
    providers retry, and a delivery already seen is acknowledged, not answered again."""

    __tablename__ = "channel_deliveries"
    __table_args__ = (UniqueConstraint("channel", "delivery_id"),)
    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    delivery_id = Column(String(120), nullable=False)
    received_at = Column(AwareDateTime, nullable=False, default=utcnow)


class OutboundMessage(Base):
    """A reply on its way to a customer: kept until the provider took it, retried if not."""

    __tablename__ = "outbox"
    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)  # sms | whatsapp | slack
    recipient = Column(String(255), nullable=False, index=True)
    thread = Column(String(120), nullable=True)  # Slack thread_ts
    body = Column(Text, nullable=False)
    status = Column(String(20), nullable=False, default="pending")  # pending | sent | failed | suppressed
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)
    provider_message_id = Column(String(120), nullable=True)
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)
    next_attempt_at = Column(AwareDateTime, nullable=False, default=utcnow)
    sent_at = Column(AwareDateTime, nullable=True)
    # A document travelling with the message (an email attachment, a Slack file, a
    # WhatsApp/MMS media message pointing at its signed link).
    document_request_id = Column(Integer, nullable=True, index=True)
    media_url = Column(Text, nullable=True)
    # The server sending it now, and until when its claim holds (servers sharing one
    # database: only the claimant sends; a claim left by a killed server runs out).
    claimed_by = Column(String(64), nullable=True)
    claimed_until = Column(AwareDateTime, nullable=True)


class ChannelOptOut(Base):
    """A number that texted STOP (or its equivalent): nothing but the confirmation goes
    to it until it texts START."""

    __tablename__ = "channel_opt_outs"
    __table_args__ = (UniqueConstraint("channel", "address"),)
    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    address = Column(String(255), nullable=False)
    opted_out = Column(Boolean, nullable=False, default=True)
    keyword = Column(String(40), nullable=True)
    changed_at = Column(AwareDateTime, nullable=False, default=utcnow)


class OfferedChoices(Base):
    """The numbered choices last shown on a channel without buttons (SMS): a reply of
    "2" selects the second one."""

    __tablename__ = "offered_choices"
    __table_args__ = (UniqueConstraint("channel", "address"),)
    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    address = Column(String(255), nullable=False)
    choices = Column(JSON, nullable=False, default=list)  # [{"title": ..., "payload": ...}]
    offered_at = Column(AwareDateTime, nullable=False, default=utcnow)


class SenderRate(Base):
    """How many messages of one sender were let through to the assistant in the current
    rate-limit window (a fixed window, numbered), and whether they were told they are over
    the limit in it. Updated atomically so that several servers share one count."""

    __tablename__ = "sender_rates"
    __table_args__ = (UniqueConstraint("channel", "sender"),)
    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    sender = Column(String(255), nullable=False)
    window_number = Column(Integer, nullable=False, default=0)
    count = Column(Integer, nullable=False, default=0)
    notified = Column(Boolean, nullable=False, default=False)


class HeldMessage(Base):
    """A customer message kept for later: its sender was over the rate limit, or the
    assistant could not answer just then. Answered in order once it can be."""

    __tablename__ = "held_messages"
    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False, index=True)
    sender = Column(String(255), nullable=False, index=True)
    reason = Column(String(20), nullable=False)  # rate_limited | unavailable
    payload = Column(JSON, nullable=False)  # what the channel needs to answer it
    status = Column(String(20), nullable=False, default="held")  # held | claimed
    attempts = Column(Integer, nullable=False, default=0)  # answers tried that failed
    received_at = Column(AwareDateTime, nullable=False, default=utcnow)
    claimed_at = Column(AwareDateTime, nullable=True)
