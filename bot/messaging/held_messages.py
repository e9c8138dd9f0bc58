"""Customer messages kept until answered: every SMS, WhatsApp and Slack message from the
moment its webhook is acknowledged (`queue`), and web chat messages over the sender's rate
limit or while the assistant cannot answer (`admit`). A message of a sender with messages
already kept waits behind them, so everything is answered in the order it came; a server
answers one message per sender at a time (claimed by a conditional UPDATE, so two servers
never answer the same one), renews its claim while the turn runs, and a claim left to
lapse by a server that died is taken over by another."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Optional

from sqlalchemy import delete, func, or_, select, true, update
from sqlalchemy.orm import Session

from bot.ledger.models import HeldMessage
from bot.messaging.holding_texts import RATE_LIMITED, UNAVAILABLE
from bot.messaging.rate_limits import (RateLimit, claim_notice, give_back_slot, take_slot,
                                       window_full)

HELD, CLAIMED = "held", "claimed"
# Answered (its replies queued), what the turn does after (the frustration check, an open
# handoff's relay) still running: not answered again, and not yet settled.
ANSWERED = "answered"
BEHIND = "behind"  # kept only because earlier messages of the sender are
ADMITTED = "admitted"  # queued to be answered at once: first in line, within the limit
# Why a sender's first message waits while nothing is being answered: nothing will move
# until the window turns or the assistant is back ("parked"). Any other reason on the
# first message means it is about to be answered.
PARKED = (RATE_LIMITED, UNAVAILABLE)
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
    held_id: Optional[int] = field(default=None, compare=False)  # the row, when queued
    # Claimed for the receiving server in the webhook's own transaction (`queue` with
    # claim): first in line and within the limit, to be answered by it at once.
    claimed: Optional["Held"] = field(default=None, compare=False)


@dataclass(frozen=True)
class Held:
    id: int
    channel: str
    sender: str
    payload: dict[str, Any]
    # A server claimed it before and its claim lapsed (it died mid-turn): the turn may
    # have been handled already, so the transcript is looked at before answering again.
    resumed: bool = False


def _of(channel: str, sender: str):
    return (HeldMessage.channel == channel) & (HeldMessage.sender == sender)


def _waiting(session: Session, channel: str, sender: str) -> int:
    return session.scalar(select(func.count(HeldMessage.id)).where(
        _of(channel, sender), HeldMessage.status.in_((HELD, CLAIMED)))) or 0


def _first(session: Session, channel: str, sender: str,
           leaving: Optional[int] = None) -> Optional[HeldMessage]:
    """The sender's oldest message kept, the one to answer next (leaving: one about to
    be finished, not counted)."""
    return session.scalars(select(HeldMessage).where(
        _of(channel, sender), HeldMessage.status.in_((HELD, CLAIMED)),
        HeldMessage.id != leaving if leaving is not None else true())
        .order_by(HeldMessage.id).limit(1)).first()


def _hold(session: Session, channel: str, sender: str, payload: dict[str, Any],
          reason: str, now: datetime, claimed: bool = False) -> int:
    row = HeldMessage(channel=channel, sender=sender, reason=reason, payload=payload,
                      status=CLAIMED if claimed else HELD, received_at=now, attempts=0,
                      claimed_at=now if claimed else None)
    session.add(row)
    session.flush()
    return row.id


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


def queue(session: Session, limit: RateLimit, channel: str, sender: str,
          payload: dict[str, Any], now: datetime, claim: bool = False) -> Admission:
    """Keep a message until it is answered (in the webhook's transaction, before the
    provider is acknowledged). to_assistant: first in line and the sender within the rate
    limit, to be claimed and answered at once (`claim_next` counts it); else it waits (the
    rate-limit notice once per window). Whether the assistant is up is for whoever claims
    it to find out.

    claim: such a message is claimed for the caller in this same transaction, counted in
    the limit (Admission.claimed), saving the claim's own transaction; the caller answers
    it, or releases it. A server that dies before it does leaves a claim that lapses, and
    the message is taken over like any other claimed one."""
    waiting = _waiting(session, channel, sender)
    if waiting >= limit.max_held > 0:
        return Admission(to_assistant=False, dropped=True)
    if waiting:
        return Admission(to_assistant=False,
                         held_id=_hold(session, channel, sender, payload, BEHIND, now))
    within = (take_slot(session, limit, channel, sender, now) if claim
              else not window_full(session, limit, channel, sender, now))
    if within:
        held_id = _hold(session, channel, sender, payload, ADMITTED, now, claimed=claim)
        return Admission(to_assistant=True, held_id=held_id, claimed=Held(
            held_id, channel, sender, dict(payload)) if claim else None)
    held_id = _hold(session, channel, sender, payload, RATE_LIMITED, now)
    notify = claim_notice(session, limit, channel, sender, now)
    return Admission(to_assistant=False, notice=RATE_LIMITED if notify else None,
                     held_id=held_id)


def waiting(session: Session, channel: str, sender: str) -> int:
    """How many messages of the sender are kept, being answered or waiting."""
    return _waiting(session, channel, sender)


def settled(session: Session, channel: str, sender: str,
            now: Optional[datetime] = None) -> bool:
    """Whether nothing of the sender is being answered or about to be: no live claim, no
    turn still finishing, and no message kept or only ones parked behind the rate limit
    or the assistant being down. (What a test waits for after a webhook returns.)"""
    finishing = select(HeldMessage.id).where(_of(channel, sender),
                                             HeldMessage.status == ANSWERED)
    if now is not None:  # a server that died after answering left it: not waited for
        finishing = finishing.where(HeldMessage.claimed_at > now - CLAIM_TIMEOUT)
    if session.scalar(finishing.limit(1)) is not None:
        return False
    oldest = _first(session, channel, sender)
    if oldest is None:
        return True
    return oldest.status == HELD and oldest.reason in PARKED


def park_unavailable(session: Session, channel: str, sender: str
                     ) -> Optional[dict[str, Any]]:
    """The sender's first waiting message cannot be answered (the assistant or something
    it needs is down): marked so. Its payload only for the first of a stretch, whose
    finder sends the holding notice (one per stretch, however many servers find it so);
    else None."""
    oldest = _first(session, channel, sender)
    if oldest is None or oldest.status != HELD or oldest.reason == UNAVAILABLE:
        return None
    marked = session.execute(
        update(HeldMessage)
        .where(HeldMessage.id == oldest.id, HeldMessage.status == HELD,
               HeldMessage.reason != UNAVAILABLE)
        .values(reason=UNAVAILABLE)
        .execution_options(synchronize_session=False))
    return dict(oldest.payload) if marked.rowcount == 1 else None


def _notice(session: Session, limit: RateLimit, oldest: Optional[HeldMessage],
            now: datetime) -> Optional[dict[str, Any]]:
    if oldest is None or oldest.status != HELD or oldest.reason != RATE_LIMITED:
        return None
    if not claim_notice(session, limit, oldest.channel, oldest.sender, now):
        return None
    return dict(oldest.payload)


def renew(session: Session, held_id: int, now: datetime) -> None:
    """The claimant is still answering it: its claim starts again from now."""
    session.execute(update(HeldMessage)
                    .where(HeldMessage.id == held_id, HeldMessage.status == CLAIMED)
                    .values(claimed_at=now)
                    .execution_options(synchronize_session=False))


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
               now: datetime, assistant_up: bool,
               claim_timeout: timedelta = CLAIM_TIMEOUT) -> Optional[Held]:
    """The sender's oldest kept message, claimed for answering now, when the assistant
    is up, the sender is under the limit again (the message counts in it) and no other
    server is answering one of theirs (a claim older than claim_timeout is a dead
    server's, and taken over); else None."""
    return next_turn(session, limit, channel, sender, now, assistant_up, claim_timeout)[0]


def next_turn(session: Session, limit: RateLimit, channel: str, sender: str,
              now: datetime, assistant_up: bool, claim_timeout: timedelta = CLAIM_TIMEOUT,
              notify: bool = False) -> tuple[Optional[Held], Optional[dict[str, Any]]]:
    """`claim_next`, and with notify, when nothing is claimed because the sender's first
    message is parked over the rate limit, that message's payload if the sender is to be
    told (once per window, however many servers find it so): what a drained queue asks
    after every turn, in one transaction."""
    oldest = _next_in_line(session, channel, sender, now, assistant_up, claim_timeout)
    return _take_turn(session, oldest, limit, now, claim_timeout, notify)


def _next_in_line(session: Session, channel: str, sender: str, now: datetime,
                  assistant_up: bool, claim_timeout: timedelta,
                  leaving: Optional[int] = None) -> Optional[HeldMessage]:
    """The sender's oldest kept message, if it may be claimed: the assistant up and no
    other server answering one of theirs (leaving: the one this server is finishing, not
    counted). Reads only."""
    if not assistant_up:
        return None
    busy = session.scalar(select(HeldMessage.id).where(
        _of(channel, sender), HeldMessage.status == CLAIMED,
        HeldMessage.claimed_at > now - claim_timeout,
        HeldMessage.id != leaving if leaving is not None else true()).limit(1))
    return None if busy is not None else _first(session, channel, sender, leaving)


def _take_turn(session: Session, oldest: Optional[HeldMessage], limit: RateLimit,
               now: datetime, claim_timeout: timedelta, notify: bool
               ) -> tuple[Optional[Held], Optional[dict[str, Any]]]:
    """Claim oldest (`_next_in_line`'s) within the sender's rate limit; one conditional
    UPDATE, so that of two servers reading it at once one claims it."""
    if oldest is None:
        return None, None
    channel, sender, stale = oldest.channel, oldest.sender, now - claim_timeout
    resumed = oldest.claimed_at is not None
    savepoint = session.begin_nested()
    if not take_slot(session, limit, channel, sender, now):
        savepoint.rollback()
        if oldest.status == HELD and oldest.reason not in PARKED:
            oldest.reason = RATE_LIMITED  # parked until the window turns
        return None, (_notice(session, limit, oldest, now) if notify else None)
    claimed = session.execute(
        update(HeldMessage)
        .where(HeldMessage.id == oldest.id,
               or_(HeldMessage.status == HELD,
                   (HeldMessage.status == CLAIMED) & (HeldMessage.claimed_at <= stale)))
        .values(status=CLAIMED, claimed_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # another server took it between our two statements
        savepoint.rollback()
        return None, None
    savepoint.commit()
    return Held(oldest.id, channel, sender, dict(oldest.payload), resumed), None


def finish_then_next(session: Session, finished: Optional[int], limit: RateLimit,
                     channel: str, sender: str, now: datetime, assistant_up: bool,
                     claim_timeout: timedelta = CLAIM_TIMEOUT, notify: bool = False
                     ) -> tuple[Optional[Held], Optional[dict[str, Any]]]:
    """`finish` the message just answered (if any), then `next_turn`: the two in one
    transaction, as a drained queue asks after every turn.

    What is next is read before the finish's write: on SQLite the write lock is held
    from the first write to the commit, and a drained queue (the common case) then holds
    it for the one DELETE. The finished message is answered, so neither read counts it;
    one kept meanwhile is claimed by its receiver (nothing waited before it) or waits
    behind one that is, and the claim's conditional UPDATE settles a race. The finished
    one is left out of both reads: answered, or still claimed by this server when its
    turn had been answered before it was taken over."""
    oldest = _next_in_line(session, channel, sender, now, assistant_up, claim_timeout,
                           finished)
    if finished is not None:
        finish(session, finished)
    return _take_turn(session, oldest, limit, now, claim_timeout, notify)


def finish(session: Session, held_id: int) -> None:
    """The kept message its claimant has answered, and all its turn does: gone from the
    queue (the transcript has it). Only while its claimant's (claimed or answered): SQLite
    gives a deleted row's id to the next one kept."""
    session.execute(delete(HeldMessage).where(HeldMessage.id == held_id,
                                              HeldMessage.status.in_((CLAIMED, ANSWERED)))
                    .execution_options(synchronize_session=False))


def answer_queued(session: Session, held_id: int) -> None:
    """Its replies are queued (in this transaction, so a server dying after it cannot
    answer it twice); what the turn does after them still runs, then `finish`. The
    sender's next message may be claimed meanwhile."""
    session.execute(update(HeldMessage).where(HeldMessage.id == held_id,
                                              HeldMessage.status == CLAIMED)
                    .values(status=ANSWERED)
                    .execution_options(synchronize_session=False))


def release(session: Session, held_id: int, counted: bool = True,
            limit: Optional[RateLimit] = None, now: Optional[datetime] = None) -> bool:
    """Answering it failed: back in the queue, first in line for the next round; False
    when it has failed MAX_ANSWER_ATTEMPTS times and is given up (gone from the queue).
    Not counted (a dependency was down, not the message at fault): kept however long, and
    given back its place in the sender's rate limit (limit, now)."""
    row = session.get(HeldMessage, held_id)
    if row is None:
        return False
    if row.status == ANSWERED:  # its replies are queued: what failed came after them
        session.delete(row)
        return True
    if not counted:
        row.status, row.claimed_at = HELD, None
        if limit is not None and now is not None:
            give_back_slot(session, limit, row.channel, row.sender, now)
        return True
    row.attempts += 1
    if row.attempts >= MAX_ANSWER_ATTEMPTS:
        session.delete(row)
        return False
    row.status, row.claimed_at = HELD, None
    return True
