"""Per-sender rate limits and held messages (bot/messaging/rate_limits.py,
held_messages.py), on a real ledger database, the clock passed in."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.db import Database
from bot.languages import SUPPORTED_LANGUAGES
from bot.messaging import held_messages, holding_texts
from bot.messaging.held_messages import Admission
from bot.messaging.rate_limits import RateLimit, take_slot

JANE, JOHN = "+14155550101", "+14155550102"
T0 = datetime(2026, 11, 23, 9, 0, 0, tzinfo=timezone.utc)
LIMIT = RateLimit(messages=3, window_seconds=60, max_held=5)


def admit(db, sender=JANE, text="hi", now=T0, up=True, channel="sms") -> Admission:
    with db.session() as session:
        return held_messages.admit(session, LIMIT, channel, sender, {"text": text}, now,
                                   assistant_up=up)


def drain(db, now, up=True, channel="sms") -> list[str]:
    """What a server answers in one round, in order (each taken, then finished)."""
    answered = []
    with db.session() as session:
        senders = held_messages.senders_waiting(session, [channel])
    for sender_channel, sender in senders:
        while True:
            with db.session() as session:
                held = held_messages.claim_next(session, LIMIT, sender_channel, sender, now,
                                                assistant_up=up)
            if held is None:
                break
            answered.append(held.payload["text"])
            with db.session() as session:
                held_messages.finish(session, held.id)
    return answered


def test_a_sender_under_the_limit_goes_straight_to_the_assistant(db):
    assert [admit(db, now=T0 + timedelta(seconds=i)) for i in range(3)] == [
        Admission(to_assistant=True)] * 3


def test_over_the_limit_one_notice_then_silence_and_every_message_kept(db):
    for i in range(3):
        admit(db, text=f"m{i}")
    fourth = admit(db, text="m3", now=T0 + timedelta(seconds=5))
    fifth = admit(db, text="m4", now=T0 + timedelta(seconds=6))
    assert fourth == Admission(to_assistant=False, notice=holding_texts.RATE_LIMITED)
    assert fifth == Admission(to_assistant=False, notice=None)
    # still inside the window: nothing goes through
    assert drain(db, T0 + timedelta(seconds=30)) == []
    # the next window: the kept messages are answered in the order they came
    assert drain(db, T0 + timedelta(seconds=61)) == ["m3", "m4"]
    assert drain(db, T0 + timedelta(seconds=62)) == []


def test_a_long_flood_drains_a_window_at_a_time_in_order(db):
    for i in range(8):
        admit(db, text=f"m{i}", now=T0 + timedelta(seconds=i))
    assert drain(db, T0 + timedelta(seconds=60)) == ["m3", "m4", "m5"]
    assert drain(db, T0 + timedelta(seconds=70)) == []
    assert drain(db, T0 + timedelta(seconds=120)) == ["m6", "m7"]


def test_a_new_message_waits_behind_those_held_even_under_the_limit(db):
    for i in range(4):
        admit(db, text=f"m{i}")
    later = admit(db, text="later", now=T0 + timedelta(seconds=61))
    assert later == Admission(to_assistant=False, notice=None)
    assert drain(db, T0 + timedelta(seconds=61)) == ["m3", "later"]
    assert admit(db, text="after", now=T0 + timedelta(seconds=62)) == Admission(True)


def test_each_sender_and_channel_has_its_own_count(db):
    for _ in range(3):
        admit(db, sender=JANE)
    assert admit(db, sender=JOHN) == Admission(True)
    assert admit(db, sender=JANE, channel="whatsapp") == Admission(True)
    assert admit(db, sender=JANE).to_assistant is False


def test_the_notice_is_given_again_in_a_later_window(db):
    for i in range(4):
        admit(db, text=f"m{i}")
    assert drain(db, T0 + timedelta(seconds=61)) == ["m3"]
    for i in range(2):  # with m3, the new window's three
        admit(db, text=f"n{i}", now=T0 + timedelta(seconds=62 + i))
    assert admit(db, text="n2", now=T0 + timedelta(seconds=70)).notice == \
        holding_texts.RATE_LIMITED


def test_while_the_assistant_is_down_messages_are_kept_with_one_holding_answer(db):
    first = admit(db, text="what do we owe", up=False)
    second = admit(db, text="and invoice 0101", up=False, now=T0 + timedelta(seconds=1))
    assert first == Admission(to_assistant=False, notice=holding_texts.UNAVAILABLE)
    assert second == Admission(to_assistant=False, notice=None)
    assert drain(db, T0 + timedelta(seconds=5), up=False) == []
    assert drain(db, T0 + timedelta(seconds=9)) == ["what do we owe", "and invoice 0101"]


def test_beyond_the_most_kept_a_flood_is_dropped(db):
    for i in range(3 + LIMIT.max_held + 4):
        admit(db, text=f"m{i}")
    answered = drain(db, T0 + timedelta(seconds=60)) + drain(db, T0 + timedelta(seconds=120))
    assert answered == ["m3", "m4", "m5", "m6", "m7"]


def test_a_message_one_server_took_is_not_taken_by_another(db, tmp_path):
    for i in range(5):
        admit(db, text=f"m{i}")
    other = Database(db.url)  # a second server on the same database
    later = T0 + timedelta(seconds=61)
    with db.session() as session:
        taken = held_messages.claim_next(session, LIMIT, "sms", JANE, later, True)
    with other.session() as session:
        assert held_messages.claim_next(session, LIMIT, "sms", JANE, later, True) is None
    with db.session() as session:
        held_messages.finish(session, taken.id)
    with other.session() as session:
        assert held_messages.claim_next(session, LIMIT, "sms", JANE, later, True
                                        ).payload == {"text": "m4"}


def test_a_claim_left_by_a_server_that_died_is_taken_over(db):
    for i in range(4):
        admit(db, text=f"m{i}")
    with db.session() as session:
        held_messages.claim_next(session, LIMIT, "sms", JANE, T0 + timedelta(seconds=61), True)
    much_later = T0 + timedelta(seconds=61) + held_messages.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert drain(db, much_later) == ["m3"]


def test_a_message_that_cannot_be_answered_is_given_up_after_a_few_tries(db):
    for i in range(5):
        admit(db, text=f"m{i}")
    later = T0 + timedelta(seconds=61)
    for attempt in range(held_messages.MAX_ANSWER_ATTEMPTS):
        with db.session() as session:
            held = held_messages.claim_next(session, LIMIT, "sms", JANE, later, True)
        assert held.payload == {"text": "m3"}
        with db.session() as session:
            kept = held_messages.release(session, held.id)
        assert kept is (attempt + 1 < held_messages.MAX_ANSWER_ATTEMPTS)
        later += timedelta(seconds=60)  # a slot in the next window
    assert drain(db, later) == ["m4"]  # the one after it is not stuck behind it


def test_the_counter_is_shared_by_two_servers_on_one_database(db):
    other = Database(db.url)
    taken = []
    for i in range(6):
        with (db if i % 2 else other).session() as session:
            taken.append(take_slot(session, LIMIT, "sms", JANE, T0))
    assert taken == [True, True, True, False, False, False]


@pytest.mark.parametrize("texts", [holding_texts.RATE_LIMITED_TEXTS,
                                   holding_texts.UNAVAILABLE_TEXTS])
def test_every_holding_text_is_in_every_language(texts):
    assert set(texts) == set(SUPPORTED_LANGUAGES)
    assert all(t.strip() for t in texts.values())


def test_the_notice_is_in_the_senders_language_else_english():
    assert holding_texts.text(holding_texts.RATE_LIMITED, "de") == \
        holding_texts.RATE_LIMITED_TEXTS["de"]
    assert holding_texts.text(holding_texts.UNAVAILABLE, None) == \
        holding_texts.UNAVAILABLE_TEXTS["en"]
