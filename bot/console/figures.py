"""The dashboard's figures, each computed from what is stored: the transcript index and
the ledger (disputes, plans, promises, documents, handoffs)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from statistics import median
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.console.models import IndexedConversation, IndexedMessage
from bot.ledger import models as ledger


# Document statuses that mean it left (bot/documents: sent as attachment or as a link).
SENT_STATUSES = ("sent", "link_sent", "delivered")


@dataclass
class Period:
    first: date
    last: date  # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=timezone.utc)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=timezone.utc)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def _rate(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


@dataclass
class Figures:
    period: Period
    conversations: int
    per_day_by_channel: dict[date, Counter]
    per_day_by_language: dict[date, Counter]
    self_served: int
    self_service_rate: Optional[float]
    handed_off: int
    handoff_rate: Optional[float]
    handoff_reasons: Counter
    first_human_response_minutes: Optional[float]  # median over handoffs answered
    resolution_minutes: Optional[float]  # median over handoffs resolved (when recorded)
    customer_messages: int
    fallbacks: int
    fallback_rate: Optional[float]
    low_confidence: int
    low_confidence_rate: Optional[float]
    intents: Counter
    documents: Counter  # by status
    documents_sent: int
    disputes: int
    plans: int
    promises: int
    promises_kept: int
    promises_broken: int
    promises_open: int


def _promise_outcomes(session: Session, promises: list[ledger.PromiseToPay], today: date
                      ) -> Counter:
    """Kept: the customer's payments received from the day of the promise to the date
    promised add up to the amount. Broken: that date passed without. Open: not yet due."""
    outcomes: Counter = Counter()
    for promise in promises:
        paid = sum((p.amount for p in session.scalars(select(ledger.Payment).where(
            ledger.Payment.customer_id == promise.customer_id,
            ledger.Payment.received_date >= promise.created_at.date(),
            ledger.Payment.received_date <= promise.promised_date))), Decimal("0"))
        if paid >= promise.amount:
            outcomes["kept"] += 1
        elif promise.promised_date < today:
            outcomes["broken"] += 1
        else:
            outcomes["open"] += 1
    return outcomes


def _minutes(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60


def _handoff_times(session: Session, handoffs: list[ledger.HandoffRequest]
                   ) -> tuple[list[float], list[float]]:
    """Minutes to the first human message and to resolution, per handoff. The first
    human message is a collector's message in the transcript or in the handoff's thread;
    resolution is when a handoff resolved by a collector was closed."""
    first, resolved = [], []
    thread = ledger.HandoffMessage
    for handoff in handoffs:
        replies = [session.scalar(select(func.min(IndexedMessage.at)).where(
            IndexedMessage.conversation_id == handoff.conversation_id,
            IndexedMessage.speaker == "collector", IndexedMessage.at >= handoff.created_at)),
            session.scalar(select(func.min(thread.created_at)).where(
                thread.handoff_id == handoff.id, thread.kind == "collector"))]
        replies = [r for r in replies if r is not None]
        if replies:
            first.append(_minutes(min(replies), handoff.created_at))
        if handoff.closed_at is not None and handoff.status == "resolved":
            resolved.append(_minutes(handoff.closed_at, handoff.created_at))
    return first, resolved


def compute(session: Session, period: Period, today: date) -> Figures:
    c = IndexedConversation
    conversations = list(session.scalars(select(c).where(
        c.started_at >= period.start, c.started_at < period.end, c.customer_messages > 0)))
    ids = [conv.conversation_id for conv in conversations]
    by_channel: dict[date, Counter] = defaultdict(Counter)
    by_language: dict[date, Counter] = defaultdict(Counter)
    for conv in conversations:
        day = conv.started_at.date()
        by_channel[day][conv.channel or "unknown"] += 1
        by_language[day][conv.language or "unknown"] += 1
    messages = list(session.scalars(select(IndexedMessage).where(
        IndexedMessage.conversation_id.in_(ids), IndexedMessage.speaker == "customer"))) if ids else []
    handoffs = list(session.scalars(select(ledger.HandoffRequest).where(
        ledger.HandoffRequest.created_at >= period.start,
        ledger.HandoffRequest.created_at < period.end)))
    first, resolved = _handoff_times(session, handoffs)

    def created_in(model):
        return list(session.scalars(select(model).where(model.created_at >= period.start,
                                                        model.created_at < period.end)))

    promises = created_in(ledger.PromiseToPay)
    documents = Counter(d.status for d in created_in(ledger.DocumentRequest))
    outcomes = _promise_outcomes(session, promises, today)
    total = len(conversations)
    self_served = sum(conv.outcome == "self_served" for conv in conversations)
    handed_off = sum(conv.handed_off for conv in conversations)
    fallbacks = sum(m.fallback for m in messages)
    low = sum(m.low_confidence for m in messages)
    return Figures(
        period=period, conversations=total,
        per_day_by_channel=dict(by_channel), per_day_by_language=dict(by_language),
        self_served=self_served, self_service_rate=_rate(self_served, total),
        handed_off=handed_off, handoff_rate=_rate(handed_off, total),
        handoff_reasons=Counter(h.reason for h in handoffs),
        first_human_response_minutes=round(median(first), 1) if first else None,
        resolution_minutes=round(median(resolved), 1) if resolved else None,
        customer_messages=len(messages), fallbacks=fallbacks,
        fallback_rate=_rate(fallbacks, len(messages)), low_confidence=low,
        low_confidence_rate=_rate(low, len(messages)),
        intents=Counter(m.intent for m in messages if m.intent),
        documents=documents, documents_sent=sum(documents[s] for s in SENT_STATUSES),
        disputes=len(created_in(ledger.Dispute)), plans=len(created_in(ledger.PaymentPlan)),
        promises=len(promises), promises_kept=outcomes["kept"],
        promises_broken=outcomes["broken"], promises_open=outcomes["open"])
