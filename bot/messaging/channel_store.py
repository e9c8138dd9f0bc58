"""What channel connectors keep in the ledger database: deliveries already handled,
replies waiting to be sent (the outbox), opt-outs, and the numbered choices last offered.

Connectors (integrations/) call these; nothing here knows a provider's API.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Optional, Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.ledger.models import ChannelDelivery, ChannelOptOut, OfferedChoices, OutboundMessage

# A failed send is retried after 30 s, 2 min, 8 min, ... and given up after this many tries.
MAX_SEND_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 30
# What goes to the AR team (handoff cards, their threads) is never given up: a collector must
# see every handoff however long Slack is down, so it is retried at most an hour apart.
AR_TEAM_CHANNEL = "slack_ar"
AR_TEAM_MAX_RETRY_SECONDS = 3600
# A claimed row is the claimant's to send for this long (a send takes seconds at most); a
# server killed mid-send leaves a claim that runs out, and another server sends it then.
CLAIM_SECONDS = 120


# The ledger's two databases (bot.db), each with its INSERT ... ON CONFLICT DO NOTHING.
_INSERT_OR_NOTHING = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


def first_delivery(session: Session, channel: str, delivery_id: str, now: datetime) -> bool:
    """Record an inbound delivery; False when the provider already delivered it (a retry).

    One INSERT that does nothing for an id already recorded, part of the caller's
    transaction. Not a savepoint: as the first statement of a transaction on SQLite
    (pysqlite begins one only before a write), its release committed the record on its
    own, and a receipt that failed after it left its message recorded as seen, never to
    be answered."""
    insert = _INSERT_OR_NOTHING[session.get_bind().dialect.name]
    recorded = session.execute(
        insert(ChannelDelivery)
        .values(channel=channel, delivery_id=delivery_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "delivery_id"]))
    return recorded.rowcount == 1


@dataclass(frozen=True)
class Outgoing:
    id: int
    channel: str
    recipient: str
    thread: Optional[str]
    body: str
    attempts: int
    document_request_id: Optional[int] = None  # a document travelling with it
    media_url: Optional[str] = None
    next_attempt_at: Optional[datetime] = None
    claimed_by: Optional[str] = None


# Outgoing's fields, in order: the outbox is read on every reply sent, so as columns
# rather than as rows made into objects.
_OUTGOING_COLUMNS = tuple(getattr(OutboundMessage, f.name) for f in fields(Outgoing))


def _outgoing(row: OutboundMessage) -> Outgoing:
    return Outgoing(*(getattr(row, f.name) for f in fields(Outgoing)))


def _pending(session: Session, *where) -> list[Outgoing]:
    rows = session.execute(select(*_OUTGOING_COLUMNS)
                           .where(OutboundMessage.status == "pending", *where)
                           .order_by(OutboundMessage.id))
    return [Outgoing(*row) for row in rows]


def queue_replies(session: Session, channel: str, recipient: str, bodies: Sequence[str],
                  now: datetime, thread: Optional[str] = None,
                  claimed_by: Optional[str] = None) -> list[Outgoing]:
    """Put replies in the outbox, in the order the customer must read them; claimed_by:
    claimed for it as they are queued (for CLAIM_SECONDS, as `claim` would)."""
    until = now + timedelta(seconds=CLAIM_SECONDS) if claimed_by else None
    rows = [OutboundMessage(channel=channel, recipient=recipient, thread=thread, body=body,
                            created_at=now, next_attempt_at=now, claimed_by=claimed_by,
                            claimed_until=until) for body in bodies]
    session.add_all(rows)
    session.flush()
    return [_outgoing(row) for row in rows]


def queue_document(session: Session, channel: str, recipient: str, body: str, now: datetime,
                   document_request_id: int, media_url: Optional[str] = None,
                   thread: Optional[str] = None, not_before: Optional[datetime] = None
                   ) -> Outgoing:
    """Put a document (an email attachment, a Slack file, a media message) in the outbox;
    not_before holds it back from the retry rounds while its first send is under way."""
    row = OutboundMessage(channel=channel, recipient=recipient, thread=thread, body=body,
                          created_at=now, next_attempt_at=not_before or now,
                          document_request_id=document_request_id, media_url=media_url)
    session.add(row)
    session.flush()
    return _outgoing(row)


def document_sends(session: Session, document_request_id: int) -> list[OutboundMessage]:
    """The outbox rows of one document request (the delivery log's evidence)."""
    return list(session.scalars(select(OutboundMessage).where(
        OutboundMessage.document_request_id == document_request_id)
        .order_by(OutboundMessage.id)))


def pending_for(session: Session, channel: str, recipient: str) -> list[Outgoing]:
    """Every reply to one recipient not yet sent, oldest first: a later reply never
    overtakes an earlier one that failed."""
    return _pending(session, *_to(channel, recipient))


def _to(channel: str, recipient: str) -> tuple:
    return OutboundMessage.channel == channel, OutboundMessage.recipient == recipient


def _in_sequence(channel: str, prefix: str) -> tuple:
    return (OutboundMessage.channel == channel,
            OutboundMessage.recipient.startswith(prefix, autoescape=True))


def _waiting(session: Session, *where) -> bool:
    return session.scalar(select(OutboundMessage.id)
                          .where(OutboundMessage.status == "pending", *where)
                          .limit(1)) is not None


def waiting_for(session: Session, channel: str, recipient: str) -> bool:
    """Whether any reply to the recipient is not yet sent."""
    return _waiting(session, *_to(channel, recipient))


def waiting_in(session: Session, channel: str, prefix: str) -> bool:
    """Whether any reply to the recipients whose address starts with prefix waits."""
    return _waiting(session, *_in_sequence(channel, prefix))


def pending_in(session: Session, channel: str, prefix: str) -> list[Outgoing]:
    """Every reply not yet sent to the recipients whose address starts with prefix (the
    threads of one Slack channel: "C123/"), oldest first across them."""
    return _pending(session, *_in_sequence(channel, prefix))


def due_recipients(session: Session, now: datetime) -> list[tuple[str, str]]:
    """(channel, recipient) pairs with a reply whose retry time has come."""
    rows = session.execute(
        select(OutboundMessage.channel, OutboundMessage.recipient)
        .where(OutboundMessage.status == "pending", OutboundMessage.next_attempt_at <= now)
        .distinct()
    )
    return [(channel, recipient) for channel, recipient in rows]


def claim(session: Session, message_id: int, worker: str, now: datetime,
          seconds: float = CLAIM_SECONDS) -> bool:
    """Take a pending row for sending, unless another worker holds a live claim on it: one
    conditional UPDATE, atomic on SQLite and PostgreSQL alike, so of servers sharing the
    database exactly one gets it. Committed at once, before the send starts."""
    taken = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == "pending",
               or_(OutboundMessage.claimed_until.is_(None),
                   OutboundMessage.claimed_until < now,
                   OutboundMessage.claimed_by == worker))
        .values(claimed_by=worker, claimed_until=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False))
    return taken.rowcount == 1


def unclaim(session: Session, message_ids: list[int], claimant: str) -> None:
    """Give up claims on rows not sent after all: any sender may take them."""
    if message_ids:
        session.execute(update(OutboundMessage)
                        .where(OutboundMessage.id.in_(message_ids),
                               OutboundMessage.claimed_by == claimant)
                        .values(claimed_by=None, claimed_until=None)
                        .execution_options(synchronize_session=False))


def mark_sent(session: Session, message_id: int, provider_message_id: Optional[str],
              now: datetime) -> None:
    session.execute(update(OutboundMessage).where(OutboundMessage.id == message_id)
                    .values(status="sent", sent_at=now, claimed_by=None, claimed_until=None,
                            provider_message_id=provider_message_id,
                            attempts=OutboundMessage.attempts + 1))


def mark_failed(session: Session, message_id: int, error: str, now: datetime,
                first_retry_seconds: float = FIRST_RETRY_SECONDS) -> bool:
    """Count a failed send and schedule the next try (each delay four times the one
    before); False once it is given up."""
    row = session.get(OutboundMessage, message_id)
    row.attempts += 1
    row.last_error = error[:2000]
    row.claimed_by = row.claimed_until = None
    delay = first_retry_seconds * 4 ** min(row.attempts - 1, 10)
    if row.channel == AR_TEAM_CHANNEL:
        delay = min(delay, AR_TEAM_MAX_RETRY_SECONDS)
    elif row.attempts >= MAX_SEND_ATTEMPTS:
        row.status = "failed"
        return False
    row.next_attempt_at = now + timedelta(seconds=delay)
    return True


def suppress_pending(session: Session, channel: str, recipient: str) -> int:
    """Withdraw every reply to a recipient not yet sent (they opted out); how many."""
    rows = session.scalars(select(OutboundMessage).where(
        OutboundMessage.channel == channel, OutboundMessage.recipient == recipient,
        OutboundMessage.status == "pending")).all()
    for row in rows:
        row.status = "suppressed"
    return len(rows)


def set_opt_out(session: Session, channel: str, address: str, opted_out: bool,
                keyword: str, now: datetime) -> None:
    row = session.scalars(select(ChannelOptOut).where(
        ChannelOptOut.channel == channel, ChannelOptOut.address == address)).first()
    if row is None:
        row = ChannelOptOut(channel=channel, address=address)
        session.add(row)
    row.opted_out, row.keyword, row.changed_at = opted_out, keyword, now


def is_opted_out(session: Session, channel: str, address: str) -> bool:
    return bool(session.scalar(select(ChannelOptOut.opted_out).where(
        ChannelOptOut.channel == channel, ChannelOptOut.address == address)))


def offer_choices(session: Session, channel: str, address: str,
                  choices: Sequence[dict], now: datetime) -> None:
    """Remember the numbered choices just shown ([{"title", "payload"}]); none clears them."""
    row = session.scalars(select(OfferedChoices).where(
        OfferedChoices.channel == channel, OfferedChoices.address == address)).first()
    if row is None:
        row = OfferedChoices(channel=channel, address=address)
        session.add(row)
    row.choices, row.offered_at = [dict(c) for c in choices], now


def chosen(session: Session, channel: str, address: str, reply: str) -> Optional[dict]:
    """The choice a bare number ("2", " 2. ") picks among those last offered, if any."""
    text = reply.strip().rstrip(".)")
    if not text.isdigit():
        return None
    choices = session.scalar(select(OfferedChoices.choices).where(
        OfferedChoices.channel == channel, OfferedChoices.address == address)) or []
    index = int(text) - 1
    return choices[index] if 0 <= index < len(choices) else None
