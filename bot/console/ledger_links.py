"""What the ledger holds about a conversation: whose it is, the records its actions
created (by the references the bot gave), and its handoff. Read defensively: columns
and tables other rooms add later (collector, claimed and resolved times, delivery log)
are used when they exist and never required."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ledger import models as ledger

PHONE_CHANNELS = {"sms", "whatsapp", "twilio", "twilio_messaging"}
SLACK_CHANNELS = {"slack", "slack_customers"}
RECORD_KINDS = {  # reference prefix: (model, what it is)
    "DSP": (ledger.Dispute, "dispute"),
    "PLN": (ledger.PaymentPlan, "payment plan"),
    "PTP": (ledger.PromiseToPay, "promise to pay"),
    "DOC": (ledger.DocumentRequest, "document"),
    "HND": (ledger.HandoffRequest, "handoff"),
    "CHG": (ledger.ContactChange, "contact change"),
}
# The steps of a handoff (bot/handoff records them), each shown once it happened.
HANDOFF_TIMES = {"created_at": "requested", "announced_at": "card posted to the AR channel",
                 "claimed_at": "claimed", "closed_at": "closed"}
# Document columns the documents room adds (bot/documents).
DOCUMENT_TIMES = {"created_at": "requested", "sent_at": "sent", "opened_at": "opened"}


@dataclass(frozen=True)
class Party:
    customer_id: Optional[int]
    contact_id: Optional[int]


def resolve_party(session: Session, conversation_id: str, channel: Optional[str]) -> Party:
    """Whose conversation this is, the way bot.conversation.identity decides it, kept
    even after a web verification expired (the transcript still belongs to them)."""
    contact = None
    if channel in PHONE_CHANNELS:
        phone = conversation_id.split(":", 1)[1] if ":" in conversation_id else conversation_id
        contact = session.scalars(select(ledger.Contact).where(ledger.Contact.phone == phone)).first()
    elif channel in SLACK_CHANNELS:
        contact = session.scalars(select(ledger.Contact).where(
            ledger.Contact.slack_user_id == conversation_id)).first()
    if contact is not None:
        return Party(contact.customer_id, contact.id)
    verified = session.scalars(select(ledger.VerifiedConversation).where(
        ledger.VerifiedConversation.conversation_id == conversation_id)
        .order_by(ledger.VerifiedConversation.id.desc())).first()
    if verified is not None:
        return Party(verified.customer_id, verified.contact_id)
    handoff = session.scalars(select(ledger.HandoffRequest).where(
        ledger.HandoffRequest.conversation_id == conversation_id,
        ledger.HandoffRequest.customer_id.isnot(None))).first()
    if handoff is not None:
        return Party(handoff.customer_id, handoff.contact_id)
    return Party(None, None)


@dataclass
class LinkedRecord:
    reference: str
    kind: str
    status: Optional[str]
    created_at: Optional[datetime]
    summary: str


def _summary(record: Any) -> str:
    parts = []
    for name in ("reason", "kind", "amount", "total_amount", "instalment_count",
                 "promised_date", "field", "new_value", "destination", "status", "outcome",
                 "owner_name", "sent_at", "opened_at"):
        value = getattr(record, name, None)
        if value not in (None, "", []):
            parts.append(f"{name.replace('_', ' ')}: {value}")
    return ", ".join(parts)


def linked_records(session: Session, references: list[str], conversation_id: str
                   ) -> list[LinkedRecord]:
    """The ledger records the bot named in this conversation, and its handoffs."""
    found: dict[str, LinkedRecord] = {}
    for reference in references:
        model, kind = RECORD_KINDS.get(reference.split("-", 1)[0], (None, None))
        if model is None:
            continue
        record = session.scalars(select(model).where(model.reference == reference)).first()
        if record is not None:
            found[reference] = LinkedRecord(reference, kind, getattr(record, "status", None),
                                            getattr(record, "created_at", None), _summary(record))
    for kind, model in (("handoff", ledger.HandoffRequest), ("document", ledger.DocumentRequest)):
        if not hasattr(model, "conversation_id"):  # documents tie to conversations later
            continue
        for record in session.scalars(select(model).where(model.conversation_id == conversation_id)):
            found.setdefault(record.reference, LinkedRecord(
                record.reference, kind, record.status, record.created_at, _summary(record)))
    return sorted(found.values(), key=lambda r: (r.created_at is None, r.created_at or 0))


def handoffs_of(session: Session, conversation_id: str) -> list[ledger.HandoffRequest]:
    return list(session.scalars(select(ledger.HandoffRequest).where(
        ledger.HandoffRequest.conversation_id == conversation_id)
        .order_by(ledger.HandoffRequest.id)))


@dataclass
class HandoffStep:
    at: datetime
    what: str


@dataclass
class HandoffTimeline:
    reference: str
    reason: str
    status: str
    collector: Optional[str]
    steps: list[HandoffStep] = field(default_factory=list)


def handoff_timelines(session: Session, conversation_id: str,
                      collector_messages: list[tuple[datetime, str]]) -> list[HandoffTimeline]:
    """Each handoff of the conversation: requested, then whatever later steps the
    handoff room records (posted, claimed, handed back, resolved), and the collectors'
    messages in the transcript."""
    timelines = []
    for handoff in handoffs_of(session, conversation_id):
        timeline = HandoffTimeline(handoff.reference, handoff.reason, handoff.status,
                                   handoff.owner_name or None)
        for name, label in HANDOFF_TIMES.items():
            at = getattr(handoff, name, None)
            if isinstance(at, datetime):
                if name == "claimed_at" and timeline.collector:
                    label = f"claimed by {timeline.collector}"
                if name == "closed_at" and handoff.outcome:
                    label = f"closed: {str(handoff.outcome).replace('_', ' ')}"
                timeline.steps.append(HandoffStep(at, label))
        for at, who in collector_messages:
            if at >= handoff.created_at:
                timeline.steps.append(HandoffStep(at, f"{who} wrote to the customer"))
                timeline.collector = timeline.collector or who
        timeline.steps.sort(key=lambda step: step.at)
        timelines.append(timeline)
    return timelines
