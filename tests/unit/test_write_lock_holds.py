"""On SQLite one transaction writes at a time, and every worker's webhook receipts and
replies wait while one does (bot/db.py). A transaction holds the lock from its first write
to its commit, so the hot ones of an SMS turn read what they can before their first write:
what runs while they hold the lock is their writes and the reads that must see the other
writers' last commit. Checked here statement by statement, on a real ledger file."""

from __future__ import annotations

import asyncio
import re
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
from sqlalchemy import event, select

from bot.db import Database
from bot.ledger.models import SenderRate
from bot.messaging import held_messages
from bot.messaging.rate_limits import RateLimit
from integrations.twilio_channel import Inbound, TwilioMessagingInput

JANE = "+14155550101"
T0 = datetime(2026, 11, 23, 9, 0, 0, tzinfo=timezone.utc)
LIMIT = RateLimit(messages=3, window_seconds=60, max_held=5)
LEASE = timedelta(seconds=30)
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)


@contextmanager
def lock_holds(database: Database) -> Iterator[list[list[str]]]:
    """Each transaction's statements from its first write to its end, as "VERB table"."""
    holds: list[list[str]] = []
    current: list[str] = []

    def executed(_connection, _cursor, statement, *_args) -> None:
        if not current and not _WRITE.match(statement):
            return
        verb = statement.split(None, 1)[0].upper()
        if verb in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            table = _TABLE.search(statement)
            current.append(f"{verb} {table.group(1) if table else '?'}")

    def ended(_connection) -> None:
        if current:
            holds.append(list(current))
            current.clear()

    engine = database.engine
    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    try:
        yield holds
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(engine, "commit", ended)
        event.remove(engine, "rollback", ended)


@pytest.fixture
def twilio(settings, db) -> TwilioMessagingInput:
    """The SMS channel on the test's ledger (settings and db share its folder)."""
    channel = TwilioMessagingInput(settings)
    assert channel.app.database.url == db.url
    return channel


def sms(number: int, body: str = "what do we owe?") -> Inbound:
    return Inbound(f"SM{number:032d}", JANE, body, 0)


def answered(twilio: TwilioMessagingInput, held_id: int) -> None:
    with twilio.app.session() as session:
        held_messages.answer_queued(session, held_id)
        held_messages.finish(session, held_id)


def test_an_sms_receipt_holds_the_write_lock_for_its_writes_and_the_queue_it_joins(twilio):
    first = twilio._receive(sms(1))
    answered(twilio, first.claimed.id)
    with lock_holds(twilio.app.database) as holds:
        received = twilio._receive(sms(2))
    assert received.claimed is not None  # first in line: answered by this server at once
    # The contact's language and the opt-out state are read before the lock; the queue's
    # count inside it (a message of the sender kept by another worker must be seen), and
    # the sender's rate counted by one conditional UPDATE.
    assert holds == [["INSERT channel_deliveries", "SELECT held_messages",
                      "UPDATE sender_rates", "INSERT held_messages"]]


def test_an_sms_receipt_of_a_first_time_sender_still_counts_its_rate(twilio):
    with lock_holds(twilio.app.database) as holds:
        received = twilio._receive(sms(1))
    assert received.claimed is not None
    # No row to count in yet: made, then counted (the UPDATE tried first finds none).
    assert holds == [["INSERT channel_deliveries", "SELECT held_messages",
                      "UPDATE sender_rates", "SELECT sender_rates",
                      "INSERT sender_rates", "UPDATE sender_rates", "INSERT held_messages"]]
    with twilio.app.session() as session:
        rate = session.scalars(select(SenderRate).where(SenderRate.sender == JANE)).one()
    assert rate.count == 1


def test_a_drained_queue_holds_the_write_lock_for_the_finish_alone(twilio):
    first = twilio._receive(sms(1))
    with twilio.app.session() as session:
        held_messages.answer_queued(session, first.claimed.id)
    with lock_holds(twilio.app.database) as holds, twilio.app.session() as session:
        following, _ = held_messages.finish_then_next(session, first.claimed.id, LIMIT,
                                                      "sms", JANE, T0, True, LEASE)
    assert following is None
    assert holds == [["DELETE held_messages"]]


def test_a_message_kept_behind_is_claimed_as_the_one_before_it_finishes(twilio):
    first = twilio._receive(sms(1))
    behind = twilio._receive(sms(2, "and invoice INV-1001?"))
    assert behind.claimed is None
    with twilio.app.session() as session:
        held_messages.answer_queued(session, first.claimed.id)
    with twilio.app.session() as session:
        following, _ = held_messages.finish_then_next(session, first.claimed.id, LIMIT,
                                                      "sms", JANE, twilio.app.now(), True,
                                                      LEASE)
    assert following.payload["body"] == "and invoice INV-1001?"
    with twilio.app.session() as session:
        assert held_messages.waiting(session, "sms", JANE) == 1  # the first is gone


def test_a_reply_holds_the_write_lock_for_its_writes_and_the_outbox_it_joins(twilio,
                                                                            monkeypatch):
    sent: list[list] = []
    monkeypatch.setattr(twilio, "_deliver_in_background",
                        lambda recipient, queued=(): sent.append(list(queued)))
    with lock_holds(twilio.app.database) as holds:
        asyncio.run(twilio.reply(JANE, [{"text": "Your balance is $1,200.00."}]))
    assert len(sent) == 1 and len(sent[0]) == 1  # queued, for the courier to send
    # The opt-out read before the lock; the outbox's earlier replies inside it (they
    # decide who sends these).
    assert holds == [["INSERT offered_choices", "SELECT outbox", "INSERT outbox"]]
