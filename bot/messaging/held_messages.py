"""Customer messages kept for later instead of lost: over the sender's rate limit, or
while the assistant cannot answer (the action server down). A message of a sender with
messages already kept waits behind them, so everything is answered in the order it came;
a server answers one kept message per sender at a time (claimed by a conditional UPDATE,
so two servers never answer the same one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Optional

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.ledger.models import HeldMessage
from bot.messaging.holding_texts import RATE_LIMITED, UNAVAILABLE
from bot.messaging.rate_limits import RateLimit, claim_notice, take_slot

HELD, CLAIMED = "held", "claimed"
BEHIND = "behind"  # kept only because earlier messages of the sender are
# A claim older than this was left by a server that stopped while answering: taken over.
CLAIM_TIMEOUT = timedelta(minutes=5)
# A kept message whose answer failed this many times is given up, so that it does not
# hold back everything the sender writes after it.
MAX_ANSWER_ATTEMPTS = 3


@dataclass(frozen=True)
class Admission:
    """What becomes of an inbound message: to the assistant now, or kept (with the
    notice to send, if any); dropped: neither (a flood beyond what is kept)."""

    to_assistant: bool
    notice: Optional[str] = None
    dropped: bool = False


@dataclass(frozen=True)
class Held:
    id: int
    channel: str
    sender: str
    payload: dict[str, Any]


def _of(channel: str, sender: str):
    return (HeldMessage.channel == channel) & (HeldMessage.sender == sender)


def _waiting(session: Session, channel: str, sender: str) -> int:
    return session.scalar(select(func.count(HeldMessage.id)).where(
        _of(channel, sender), HeldMessage.status.in_((HELD, CLAIMED)))) or 0


def _hold(session: Session, channel: str, sender: str, payload: dict[str, Any],
          reason: str, now: datetime) -> None:
    session.add(HeldMessage(channel=channel, sender=sender, reason=reason, payload=payload,
                            status=HELD, received_at=now, attempts=0))
    session.flush()


def admit(session: Session, limit: RateLimit, channel: str, sender: str,
          payload: dict[str, Any], now: datetime, assistant_up: bool) -> Admission:
    """Let a message through, or keep it (payload: what the channel needs to answer it
    later). The first message kept while the assistant is down, or the first over the
    limit in a window, comes with the notice to send."""
    waiting = _waiting(session, channel, sender)
    if waiting >= limit.max_held > 0:
        return Admission(to_assistant=False, dropped=True)
    if waiting:
        _hold(session, channel, sender, payload, BEHIND, now)
        return Admission(to_assistant=False)
    if not assistant_up:
        _hold(session, channel, sender, payload, UNAVAILABLE, now)
        return Admission(to_assistant=False, notice=UNAVAILABLE)
    if take_slot(session, limit, channel, sender, now):
        return Admission(to_assistant=True)
    _hold(session, channel, sender, payload, RATE_LIMITED, now)
    notify = claim_notice(session, limit, channel, sender, now)
    return Admission(to_assistant=False, notice=RATE_LIMITED if notify else None)


def senders_waiting(session: Session, channels: Iterable[str]) -> list[tuple[str, str]]:
    """(channel, sender) with messages kept, the longest waiting first."""
    rows = session.execute(
        select(HeldMessage.channel, HeldMessage.sender)
        .where(HeldMessage.channel.in_(list(channels)),
               HeldMessage.status.in_((HELD, CLAIMED)))
        .group_by(HeldMessage.channel, HeldMessage.sender)
        .order_by(func.min(HeldMessage.id)))
    return [(channel, sender) for channel, sender in rows]


def claim_next(session: Session, limit: RateLimit, channel: str, sender: str,
               now: datetime, assistant_up: bool) -> Optional[Held]:
    """The sender's oldest kept message, claimed for answering now, when the assistant
    is up, the sender is under the limit again (the message counts in it) and no other
    server is answering one of theirs; else None."""
    if not assistant_up:
        return None
    stale = now - CLAIM_TIMEOUT
    busy = session.scalar(select(HeldMessage.id).where(
        _of(channel, sender), HeldMessage.status == CLAIMED,
        HeldMessage.claimed_at > stale).limit(1))
    if busy is not None:
        return None
    oldest = session.scalars(select(HeldMessage).where(
        _of(channel, sender), HeldMessage.status.in_((HELD, CLAIMED)))
        .order_by(HeldMessage.id).limit(1)).first()
    if oldest is None:
        return None
    savepoint = session.begin_nested()
    if not take_slot(session, limit, channel, sender, now):
        savepoint.rollback()
        return None
    claimed = session.execute(
        update(HeldMessage)
        .where(HeldMessage.id == oldest.id,
               or_(HeldMessage.status == HELD,
                   (HeldMessage.status == CLAIMED) & (HeldMessage.claimed_at <= stale)))
        .values(status=CLAIMED, claimed_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # another server took it between our two statements
        savepoint.rollback()
        return None
    savepoint.commit()
    return Held(oldest.id, channel, sender, dict(oldest.payload))


def finish(session: Session, held_id: int) -> None:
    """The kept message has been answered: it is gone from the queue (the transcript
    has it)."""
    session.execute(delete(HeldMessage).where(HeldMessage.id == held_id)
                    .execution_options(synchronize_session=False))


def release(session: Session, held_id: int) -> bool:
    """Answering it failed: back in the queue, first in line for the next round; False
    when it has failed MAX_ANSWER_ATTEMPTS times and is given up (gone from the queue)."""
    row = session.get(HeldMessage, held_id)
    if row is None:
        return False
    row.attempts += 1
    if row.attempts >= MAX_ANSWER_ATTEMPTS:
        session.delete(row)
        return False
    row.status, row.claimed_at = HELD, None
    return True
