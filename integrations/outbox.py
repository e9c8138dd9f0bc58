"""Delivery of the outbox (bot.messaging.channel_store): replies are sent oldest first per
recipient, one at a time; a failed send stays in the outbox and is retried with backoff,
and nothing queued after it for that recipient overtakes it. A channel may send several
recipients' replies in one sequence (a Slack conversation's threads: each message is
answered in its own thread, and the answers must reach the customer in the order given,
whichever server gave them). Provider-independent: each outbox channel ("sms",
"whatsapp", ...) comes with a function that sends one body.

A channel queues a turn's replies through `Courier.queue`, in the transaction that
records the turn: when nothing queued before them waits, they are claimed for this
courier there and then (a claimant of their own, which no other send takes over until
the claim lapses), and `deliver` sends them first, without a claim of their own. That is
two transactions fewer per reply.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable, Iterable, Mapping, Optional

from sqlalchemy.orm import Session

from bot.documents.delivery import mark_request_sent
from bot.messaging.channel_store import (Outgoing, claim, due_recipients, mark_failed,
                                         mark_sent, pending_for, pending_in, queue_replies,
                                         unclaim, waiting_for, waiting_in)
from bot.observability import metrics
from bot.runtime.app import ARApp

logger = logging.getLogger(__name__)

# (recipient, body) -> the provider's id for the message; raises when it was not taken.
Send = Callable[[str, str], Awaitable[Optional[str]]]
# recipient -> the address prefix of the recipients sent in one sequence with it.
Sequence = Callable[[str], str]
# A message carrying a document (email attachment, Slack file, media message) -> the
# provider's id; raises when it was not taken.
SendDocument = Callable[[Outgoing], Awaitable[Optional[str]]]


@dataclass(frozen=True)
class _Outcome:
    """One send: the provider's id for the message, or why it was not taken."""

    channel: str
    recipient: str
    message: Outgoing
    provider_id: Optional[str] = None
    error: Optional[Exception] = None


def masked(address: str) -> str:
    """A recipient as logs show it: enough to tell numbers apart, not to text them."""
    return f"…{address[-4:]}" if len(address) > 4 else "…"


class Courier:
    def __init__(self, app: ARApp, senders: Mapping[str, Send], first_retry_seconds: float,
                 documents: Optional[Mapping[str, SendDocument]] = None,
                 in_order: bool = True, sequences: Optional[Mapping[str, Sequence]] = None):
        self._app, self._senders = app, dict(senders)
        self._documents = dict(documents or {})
        self._sequences = dict(sequences or {})
        # Emails are independent of each other: each goes when its own time comes (one
        # still held for its first try, or failing, does not hold back the next).
        self._in_order = in_order
        self._first_retry_seconds = first_retry_seconds
        self._locks: dict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        self._worker, self._worker_pid = "", 0

    @property
    def worker(self) -> str:
        """Who claims rows: servers sharing one database each send only what they claimed.
        One per process: Sanic forks its workers (RASA_WORKERS) after the channels, and so
        their couriers, are made, and workers sharing an id would send a row twice."""
        if self._worker_pid != os.getpid():
            self._worker = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
            self._worker_pid = os.getpid()
        return self._worker

    @property
    def claimant_at_queue(self) -> str:
        """Who holds the rows `queue` claimed: not `worker`, whose claims its other sends
        renew, so that only the `deliver` given them sends them."""
        return self.worker + "+queued"

    def _prefix(self, channel: str, recipient: str) -> Optional[str]:
        sequence = self._sequences.get(channel)
        return sequence(recipient) if sequence is not None else None

    def queue(self, session: Session, channel: str, recipient: str, bodies: list[str],
              now: datetime, thread: Optional[str] = None) -> list[Outgoing]:
        """Replies into the outbox in the caller's transaction, claimed for this courier
        unless replies queued before them (in the recipient's sequence) wait still; give
        what it returns to `deliver`."""
        prefix = self._prefix(channel, recipient)
        earlier = (waiting_in(session, channel, prefix) if prefix is not None
                   else waiting_for(session, channel, recipient))
        return queue_replies(session, channel, recipient, bodies, now, thread,
                             claimed_by=None if earlier else self.claimant_at_queue)

    async def deliver(self, channel: str, recipient: str,
                      queued: Iterable[Outgoing] = ()) -> int:
        """Send what waits for one recipient (with the channel's sequences: for every
        recipient in its sequence), in order, up to the first failure; how many went
        out. queued: rows `queue` gave, those it claimed sent first. Concurrent calls for
        the same recipient take turns; another server holding a row of this recipient
        (its claim) sends it and what follows. The outbox is read and written on a
        thread (one per send: what the last send did, and the next row claimed), never
        on the event loop, which answers webhooks meanwhile."""
        prefix = self._prefix(channel, recipient)
        claimed = [m for m in queued if m.claimed_by == self.claimant_at_queue]
        async with self._locks[(channel, prefix or recipient)]:
            sent, tried = 0, {m.id for m in claimed}
            outcome: Optional[_Outcome] = None
            while True:
                if claimed:
                    if outcome is not None:
                        await asyncio.to_thread(self._record, outcome)
                    message: Optional[Outgoing] = claimed.pop(0)
                else:
                    message = await asyncio.to_thread(self._record_and_claim, outcome,
                                                      channel, recipient, prefix, tried)
                if message is None:
                    return sent
                outcome = await self._send(channel, message.recipient, message)
                if outcome.error is None:
                    sent += 1
                elif self._in_order:  # what was claimed behind it goes at its retry
                    await asyncio.to_thread(self._record, outcome,
                                            [m.id for m in claimed])
                    return sent

    def _record_and_claim(self, outcome: Optional[_Outcome], channel: str, recipient: str,
                          prefix: Optional[str], tried: set[int]) -> Optional[Outgoing]:
        if outcome is not None:
            self._record(outcome)
        return self._claim_next(channel, recipient, prefix, tried)

    def _claim_next(self, channel: str, recipient: str, prefix: Optional[str],
                    tried: set[int]) -> Optional[Outgoing]:
        """The next row to send, claimed (committed before the send starts); None when
        nothing more is to be sent now."""
        while True:  # again for what was queued meanwhile (held by another server's claim)
            with self._app.session() as session:
                waiting = [m for m in (pending_for(session, channel, recipient)
                                       if prefix is None
                                       else pending_in(session, channel, prefix))
                           if m.id not in tried]
            if not waiting:
                return None
            for message in waiting:
                tried.add(message.id)
                not_due = (message.next_attempt_at is not None
                           and message.next_attempt_at > self._app.now())
                if not_due and self._in_order and message.attempts:
                    # It failed and waits for its retry time; trying it now, because a
                    # new reply came, would spend its tries within seconds of an outage.
                    return None
                if not self._in_order and not_due:
                    continue
                with self._app.session() as session:
                    mine = claim(session, message.id, self.worker, self._app.now())
                if mine:
                    return message
                if self._in_order:  # sent already, or another server is sending it now
                    return None

    async def _send(self, channel: str, recipient: str, message: Outgoing) -> _Outcome:
        """Send one claimed row: the provider's id for it, or the error."""
        try:
            if message.document_request_id is not None and channel in self._documents:
                provider_id = await self._documents[channel](message)
            else:
                provider_id = await self._senders[channel](recipient, message.body)
        except Exception as error:  # any failure: kept, retried later
            metrics.send_failed(channel)
            return _Outcome(channel, recipient, message, error=error)
        return _Outcome(channel, recipient, message, provider_id=provider_id)

    def _record(self, outcome: _Outcome, unclaimed: Iterable[int] = ()) -> None:
        """What a send did, in the outbox; unclaimed: rows claimed at queue not sent."""
        message, now = outcome.message, self._app.now()
        with self._app.session() as session:
            unclaim(session, list(unclaimed), self.claimant_at_queue)
            if outcome.error is None:
                mark_sent(session, message.id, outcome.provider_id, now)
                mark_request_sent(session, message.document_request_id, now)
                return
            retrying = mark_failed(session, message.id, str(outcome.error), now,
                                   self._first_retry_seconds)
        logger.warning("%s send to %s failed (attempt %d, %s): %s", outcome.channel,
                       masked(outcome.recipient), message.attempts + 1,
                       "will retry" if retrying else "given up", outcome.error)

    async def deliver_due(self) -> None:
        """One round of retries: every recipient of ours with a send whose time has come."""
        due = await asyncio.to_thread(self._due)
        for channel, recipient in due:
            if channel in self._senders or channel in self._documents:
                await self.deliver(channel, recipient)

    def _due(self) -> list[tuple[str, str]]:
        with self._app.session() as session:
            return due_recipients(session, self._app.now())

    async def run(self, poll_seconds: float) -> None:
        """Retry due sends until cancelled (started with the server)."""
        while True:
            try:
                await self.deliver_due()
            except Exception:  # a bad round must not end the retries
                logger.exception("outbox round failed")
            await asyncio.sleep(poll_seconds)
