"""Every SMS, WhatsApp and Slack message kept until answered (bot/messaging/held_messages
`queue`, `claim_next`, `renew`, `park_unavailable`, `settled`), on a real ledger database
shared by two "servers", the clock passed in."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.db import Database
from bot.messaging import held_messages, holding_texts
from bot.messaging.rate_limits import RateLimit

JANE = "+14155550101"
T0 = datetime(2026, 11, 23, 9, 0, 0, tzinfo=timezone.utc)
LIMIT = RateLimit(messages=3, window_seconds=60, max_held=5)
LEASE = timedelta(seconds=30)


def queue(db, text, now=T0):
    with db.session() as session:
        return held_messages.queue(session, LIMIT, "sms", JANE, {"text": text}, now)


def claim(db, now=T0, up=True):
    with db.session() as session:
        return held_messages.claim_next(session, LIMIT, "sms", JANE, now, up, LEASE)


def finish(db, held):
    with db.session() as session:
        held_messages.finish(session, held.id)


def settled(db) -> bool:
    with db.session() as session:
        return held_messages.settled(session, "sms", JANE)


def test_a_message_is_kept_from_its_webhook_until_it_is_answered(db):
    first = queue(db, "what do we owe?")
    assert first.to_assistant and first.held_id is not None and not settled(db)
    taken = claim(db)
    assert taken.payload == {"text": "what do we owe?"} and not taken.resumed
    assert not settled(db)  # being answered
    finish(db, taken)
    assert settled(db) and claim(db) is None


def test_messages_of_one_sender_are_answered_one_at_a_time_in_the_order_received(db):
    other = Database(db.url)  # a second server on the same database
    queue(db, "m0")
    assert not queue(other, "m1").to_assistant  # waits behind m0
    first = claim(db)
    assert claim(other) is None  # m1 waits while m0 is being answered, on either server
    finish(db, first)
    assert claim(other).payload == {"text": "m1"}


def test_a_message_is_counted_in_the_limit_once_however_long_it_waited(db):
    for i in range(3):
        queue(db, f"m{i}", T0 + timedelta(seconds=i))
        finish(db, claim(db, T0 + timedelta(seconds=i)))
    fourth = queue(db, "m3", T0 + timedelta(seconds=4))
    assert not fourth.to_assistant and fourth.notice == holding_texts.RATE_LIMITED
    assert claim(db, T0 + timedelta(seconds=5)) is None and settled(db)  # parked
    assert claim(db, T0 + timedelta(seconds=61)).payload == {"text": "m3"}


def test_a_claim_renewed_is_kept_and_one_left_to_lapse_is_taken_over_as_resumed(db):
    other = Database(db.url)
    queue(db, "m0")
    taken = claim(db)
    with db.session() as session:  # the turn goes on: its server renews the claim
        held_messages.renew(session, taken.id, T0 + timedelta(seconds=25))
    assert claim(other, T0 + timedelta(seconds=50)) is None
    assert not settled(db)
    # its server died: no renewal for longer than the lease
    taken_over = claim(other, T0 + timedelta(seconds=56))
    assert taken_over.id == taken.id and taken_over.resumed


def test_with_the_assistant_down_the_notice_is_claimed_once_per_stretch(db):
    queue(db, "m0")
    queue(db, "m1")
    assert claim(db, up=False) is None
    with db.session() as session:
        assert held_messages.park_unavailable(session, "sms", JANE) == {"text": "m0"}
    with db.session() as session:
        assert held_messages.park_unavailable(session, "sms", JANE) is None
    assert settled(db)  # nothing moves until it is back
    assert claim(db).payload == {"text": "m0"}


def test_a_turn_failed_by_a_dependency_is_kept_however_often_it_fails(db):
    queue(db, "m0")
    for attempt in range(held_messages.MAX_ANSWER_ATTEMPTS + 2):
        taken = claim(db, T0 + timedelta(seconds=attempt))
        assert taken.payload == {"text": "m0"} and not taken.resumed
        with db.session() as session:
            assert held_messages.release(session, taken.id, False, LIMIT,
                                         T0 + timedelta(seconds=attempt))
    # tries that failed for want of a dependency do not use up the sender's limit
    assert claim(db).payload == {"text": "m0"}


def test_a_message_behind_others_told_once_when_the_limit_stops_it(db):
    for i in range(4):  # all at once: the fourth waits behind the first three
        assert queue(db, f"m{i}").notice is None
    for _ in range(3):
        finish(db, claim(db))
    assert claim(db) is None  # the fourth is over the limit
    with db.session() as session:
        assert held_messages.next_turn(session, LIMIT, "sms", JANE, T0, True, LEASE,
                                       notify=True) == (None, {"text": "m3"})
    with db.session() as session:
        assert held_messages.next_turn(session, LIMIT, "sms", JANE, T0, True, LEASE,
                                       notify=True) == (None, None)
    assert settled(db)


def test_a_message_kept_while_the_assistant_was_down_is_counted_once(db):
    queue(db, "m0")
    assert claim(db, up=False) is None
    with db.session() as session:
        held_messages.park_unavailable(session, "sms", JANE)
    finish(db, claim(db))
    for i in (1, 2):
        queue(db, f"m{i}")
        finish(db, claim(db))
    assert queue(db, "m3").notice == holding_texts.RATE_LIMITED  # three answered: full


def test_a_turn_still_finishing_after_its_replies_is_not_settled_nor_answered_again(db):
    queue(db, "this is the third time I ask!")
    queue(db, "hello?")
    taken = claim(db)
    with db.session() as session:  # its replies queued; the handoff check still to run
        held_messages.answer_queued(session, taken.id)
    assert not settled(db)
    following = claim(db)  # the sender's next message need not wait for it
    assert following.payload == {"text": "hello?"}
    finish(db, following)
    assert not settled(db)
    with db.session() as session:  # the check failed: its replies went out all the same
        assert held_messages.release(session, taken.id)
    assert settled(db) and claim(db) is None


def test_a_turn_left_finishing_by_a_server_that_died_is_not_waited_for(db):
    queue(db, "what do we owe?")
    taken = claim(db)
    with db.session() as session:
        held_messages.answer_queued(session, taken.id)
        assert not held_messages.settled(session, "sms", JANE, T0 + timedelta(seconds=1))
        later = T0 + held_messages.CLAIM_TIMEOUT + timedelta(seconds=1)
        assert held_messages.settled(session, "sms", JANE, later)
    assert claim(db, T0 + held_messages.CLAIM_TIMEOUT * 2) is None  # never answered twice


def queue_claimed(db, text, now=T0):
    with db.session() as session:
        return held_messages.queue(session, LIMIT, "sms", JANE, {"text": text}, now,
                                   claim=True)


def test_a_message_first_in_line_is_claimed_in_its_webhooks_transaction(db):
    other = Database(db.url)
    first = queue_claimed(db, "what do we owe?")
    assert first.to_assistant and first.claimed.id == first.held_id
    assert first.claimed.payload == {"text": "what do we owe?"} and not first.claimed.resumed
    assert claim(other) is None and not settled(db)  # the receiving server answers it
    behind = queue_claimed(other, "and INV-1001?")
    assert behind.claimed is None and not behind.to_assistant
    with db.session() as session:  # answered: finished as the next one is claimed
        following, _ = held_messages.finish_then_next(session, first.claimed.id, LIMIT,
                                                      "sms", JANE, T0, True, LEASE)
    assert following.payload == {"text": "and INV-1001?"}


def test_a_message_claimed_at_receipt_counts_in_the_limit_once(db):
    for i in range(3):
        admitted = queue_claimed(db, f"m{i}", T0 + timedelta(seconds=i))
        finish(db, admitted.claimed)
    fourth = queue_claimed(db, "m3", T0 + timedelta(seconds=4))
    assert fourth.claimed is None and fourth.notice == holding_texts.RATE_LIMITED
    assert claim(db, T0 + timedelta(seconds=61)).payload == {"text": "m3"}


def test_a_claim_at_receipt_left_by_a_server_that_died_is_taken_over_as_resumed(db):
    other = Database(db.url)
    first = queue_claimed(db, "what do we owe?")
    assert claim(other, T0 + timedelta(seconds=29)) is None
    taken_over = claim(other, T0 + timedelta(seconds=31))
    assert taken_over.id == first.claimed.id and taken_over.resumed
