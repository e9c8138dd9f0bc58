"""Per-sender rate limits: at most N messages of one sender (per channel) reach the
assistant in each window of W seconds. The count lives in the ledger database and is
changed by one conditional UPDATE, so several servers sharing the database share it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.ledger.models import SenderRate


@dataclass(frozen=True)
class RateLimit:
    messages: int  # per window; 0: no limit
    window_seconds: float
    max_held: int  # messages kept per sender beyond the limit; later ones are dropped


def window_number(limit: RateLimit, now: datetime) -> int:
    return int(now.timestamp() // limit.window_seconds)


def _ensure_row(session: Session, channel: str, sender: str) -> bool:
    """Whether the sender's row was missing and is now made (here or by another server)."""
    if session.scalar(select(SenderRate.id).where(SenderRate.channel == channel,
                                                  SenderRate.sender == sender)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(SenderRate(channel=channel, sender=sender, window_number=0, count=0,
                                   notified=False))
    except IntegrityError:
        pass  # another server made it first
    return True


def _this_sender(channel: str, sender: str):
    return (SenderRate.channel == channel) & (SenderRate.sender == sender)


def _count_one(session: Session, limit: RateLimit, channel: str, sender: str,
               window: int) -> bool:
    """One statement: two servers counting at once cannot both take the last slot."""
    same_window = SenderRate.window_number == window
    result = session.execute(
        update(SenderRate)
        .where(_this_sender(channel, sender),
               or_(SenderRate.window_number != window, SenderRate.count < limit.messages))
        .values(count=case((same_window, SenderRate.count + 1), else_=1),
                notified=case((same_window, SenderRate.notified), else_=False),
                window_number=window)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def take_slot(session: Session, limit: RateLimit, channel: str, sender: str,
              now: datetime) -> bool:
    """Count one message of sender in the current window; False (nothing counted) when
    the window is full. A sender seen before costs the one UPDATE: inside a webhook's
    transaction on SQLite, every statement is time the write lock is held."""
    if limit.messages <= 0:
        return True
    window = window_number(limit, now)
    if _count_one(session, limit, channel, sender, window):
        return True
    return (_ensure_row(session, channel, sender)
            and _count_one(session, limit, channel, sender, window))


def give_back_slot(session: Session, limit: RateLimit, channel: str, sender: str,
                   now: datetime) -> None:
    """Uncount a message taken this window that was not answered after all (it is kept
    and counted again when it is)."""
    if limit.messages <= 0:
        return
    session.execute(
        update(SenderRate)
        .where(_this_sender(channel, sender),
               SenderRate.window_number == window_number(limit, now), SenderRate.count > 0)
        .values(count=SenderRate.count - 1)
        .execution_options(synchronize_session=False))


def window_full(session: Session, limit: RateLimit, channel: str, sender: str,
                now: datetime) -> bool:
    """Whether the sender has no slot left in the current window (nothing counted)."""
    if limit.messages <= 0:
        return False
    row = session.execute(select(SenderRate.window_number, SenderRate.count).where(
        _this_sender(channel, sender))).first()
    return (row is not None and row.window_number == window_number(limit, now)
            and row.count >= limit.messages)


def claim_notice(session: Session, limit: RateLimit, channel: str, sender: str,
                 now: datetime) -> bool:
    """True once per window: whoever gets True tells the sender they are over the limit."""
    result = session.execute(
        update(SenderRate)
        .where(_this_sender(channel, sender), SenderRate.window_number == window_number(limit, now),
               SenderRate.notified.is_(False))
        .values(notified=True)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1
