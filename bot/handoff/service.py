"""A handoff's life in the ledger: requested (with why and a snapshot), claimed by a
collector, handed back to the bot or resolved with an outcome; and its thread's lines.
State lives here, in the database, so several servers can share it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.conversation.identity import Caller
from bot.handoff.reasons import OUTCOMES, REASONS
from bot.ledger.audit import record
from bot.ledger.models import HandoffMessage, HandoffRequest
from bot.ledger.references import new_reference

OPEN = ("requested", "claimed")
HANDOFF_REASONS = tuple(REASONS)


def open_handoff(session: Session, conversation_id: str) -> Optional[HandoffRequest]:
    """The conversation's handoff waiting for or owned by a person, if any."""
    return session.scalars(
        select(HandoffRequest).where(HandoffRequest.conversation_id == conversation_id,
                                     HandoffRequest.status.in_(OPEN))
        .order_by(HandoffRequest.id.desc())).first()


def owned_by_a_person(session: Session, conversation_id: str) -> bool:
    handoff = open_handoff(session, conversation_id)
    return handoff is not None and handoff.status == "claimed"


def find(session: Session, reference: str) -> Optional[HandoffRequest]:
    return session.scalars(select(HandoffRequest).where(
        HandoffRequest.reference == reference)).first()


def request_handoff(session: Session, conversation_id: str, caller: Optional[Caller],
                    reason: str, *, channel: Optional[str] = None,
                    address: Optional[str] = None, language: Optional[str] = None,
                    snapshot: Optional[dict[str, Any]] = None,
                    now: Optional[datetime] = None, events_seen: int = 0
                    ) -> tuple[HandoffRequest, bool]:
    """Open a handoff for the conversation, or return the one already open."""
    if reason not in REASONS:
        raise ValueError(f"unknown handoff reason {reason!r}")
    waiting = open_handoff(session, conversation_id)
    if waiting:
        return waiting, False
    handoff = HandoffRequest(reference=new_reference("HND"), conversation_id=conversation_id,
                             customer_id=caller.customer_id if caller else None,
                             contact_id=caller.contact_id if caller else None, reason=reason,
                             channel=channel, address=address or conversation_id,
                             language=language, snapshot=snapshot,
                             events_seen=events_seen)
    if now is not None:
        handoff.created_at = now
    session.add(handoff)
    session.flush()
    record(session, actor=caller.actor if caller else f"conversation:{conversation_id}",
           action="handoff_requested", entity="handoff", entity_id=handoff.id,
           details={"reference": handoff.reference, "reason": reason, "channel": channel})
    return handoff, True


@dataclass(frozen=True)
class Change:
    """What a collector's button did: done, or why not (for the collector to read)."""

    done: bool
    message: str


def claim(session: Session, handoff: HandoffRequest, slack_user: str, name: str,
          now: datetime) -> Change:
    if handoff.status == "claimed" and handoff.owner_slack_id == slack_user:
        return Change(False, "You already own this conversation.")
    if handoff.status == "claimed":
        return Change(False, f"{handoff.owner_name} already owns this conversation.")
    if handoff.status not in OPEN:
        return Change(False, f"This handoff is closed ({handoff.status}).")
    handoff.status, handoff.owner_slack_id, handoff.owner_name = "claimed", slack_user, name
    handoff.claimed_at = now
    record(session, actor=f"slack:{slack_user}", action="handoff_claimed", entity="handoff",
           entity_id=handoff.id, details={"reference": handoff.reference, "name": name})
    return Change(True, f"{name} claimed {handoff.reference}.")


def hand_back(session: Session, handoff: HandoffRequest, actor: str, now: datetime) -> Change:
    """Back to the bot: by the collector (actor slack:U…) or by the customer asking."""
    if handoff.status not in OPEN:
        return Change(False, f"This handoff is closed ({handoff.status}).")
    handoff.status, handoff.closed_at, handoff.outcome = "returned", now, "handed_back"
    record(session, actor=actor, action="handoff_returned", entity="handoff",
           entity_id=handoff.id, details={"reference": handoff.reference})
    return Change(True, f"{handoff.reference} is back with the bot.")


def resolve(session: Session, handoff: HandoffRequest, outcome: str, actor: str,
            now: datetime) -> Change:
    if outcome not in OUTCOMES:
        return Change(False, f"Unknown outcome {outcome!r}.")
    if handoff.status not in OPEN:
        return Change(False, f"This handoff is closed ({handoff.status}).")
    handoff.status, handoff.closed_at, handoff.outcome = "resolved", now, outcome
    record(session, actor=actor, action="handoff_resolved", entity="handoff",
           entity_id=handoff.id, details={"reference": handoff.reference, "outcome": outcome})
    return Change(True, f"{handoff.reference} resolved.")


def add_line(session: Session, handoff: HandoffRequest, kind: str, text: str, now: datetime,
             author: Optional[str] = None, reading: Optional[str] = None,
             slack_ts: Optional[str] = None) -> HandoffMessage:
    line = HandoffMessage(handoff=handoff, kind=kind, text=text, author=author,
                          reading=reading, slack_ts=slack_ts, created_at=now)
    if kind == "customer":
        handoff.last_customer_message_at = now
    session.add(line)
    session.flush()
    return line


def reply_seen(session: Session, handoff: HandoffRequest, slack_ts: str) -> bool:
    """Whether this thread message of a collector was already taken (Slack retries)."""
    return bool(session.scalar(select(HandoffMessage.id).where(
        HandoffMessage.handoff_id == handoff.id, HandoffMessage.slack_ts == slack_ts)))


def by_card(session: Session, channel: str, ts: str) -> Optional[HandoffRequest]:
    """The handoff whose card is this Slack message (the thread's parent)."""
    return session.scalars(select(HandoffRequest).where(
        HandoffRequest.card_channel == channel, HandoffRequest.card_ts == ts)).first()


def due_for_reannounce(session: Session, now: datetime, sla_minutes: float
                       ) -> list[HandoffRequest]:
    """Unclaimed handoffs with a card that nobody picked up within the SLA since it
    was last announced."""
    limit = now - timedelta(minutes=sla_minutes)
    return list(session.scalars(select(HandoffRequest).where(
        HandoffRequest.status == "requested", HandoffRequest.card_ts.is_not(None),
        HandoffRequest.announced_at <= limit)))


def take_reannounce(session: Session, handoff: HandoffRequest, now: datetime) -> bool:
    """Mark the handoff announced now, unless another server (or worker) did since it was
    read: each overdue card is announced again once, however many servers look."""
    taken = session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == handoff.id,
               HandoffRequest.announced_at == handoff.announced_at)
        .values(announced_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
    if taken:
        handoff.announced_at = now
    return taken


def settle_delivery(session: Session, line: HandoffMessage, delivery: str,
                    detail: Optional[str]) -> bool:
    """Record what became of a relayed reply still pending, unless another server has:
    the collector is told once."""
    settled = session.execute(
        update(HandoffMessage)
        .where(HandoffMessage.id == line.id, HandoffMessage.delivery == "pending")
        .values(delivery=delivery, delivery_detail=detail)
        .execution_options(synchronize_session=False)).rowcount == 1
    if settled:
        line.delivery, line.delivery_detail = delivery, detail
    return settled


def waited_minutes(handoff: HandoffRequest, now: datetime) -> int:
    end = handoff.claimed_at or handoff.closed_at or now
    return max(int((end - handoff.created_at).total_seconds() // 60), 0)
