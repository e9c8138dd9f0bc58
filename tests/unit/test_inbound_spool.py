"""Messages kept on disk while the database is down (bot/messaging/inbound_spool.py): all
of them handed over once, in order, also when several processes keep messages at once;
one the database refuses stays, with those after it."""

from __future__ import annotations

import multiprocessing

import pytest

from bot.messaging.inbound_spool import InboundSpool


def test_kept_messages_are_handed_over_in_order_once(tmp_path):
    spool = InboundSpool(tmp_path)
    for n in range(5):
        spool.keep("sms", {"From": "+14155550101", "Body": f"message {n} 😡 ünïcode"})
    assert spool.waiting() == 5
    taken = []
    assert spool.hand_over(lambda channel, payload: taken.append((channel, payload["Body"]))) == 5
    assert taken == [("sms", f"message {n} 😡 ünïcode") for n in range(5)]
    assert spool.waiting() == 0 and spool.hand_over(taken.append) == 0


def test_a_message_the_database_refuses_stays_with_those_after_it(tmp_path):
    spool = InboundSpool(tmp_path)
    for n in range(4):
        spool.keep("slack", {"n": n})
    taken = []

    def database_down_at_the_third(channel, payload):
        if payload["n"] == 2:
            raise ConnectionError("the database went away again")
        taken.append(payload["n"])

    with pytest.raises(ConnectionError):
        spool.hand_over(database_down_at_the_third)
    assert taken == [0, 1] and spool.waiting() == 2
    spool.keep("slack", {"n": 4})
    assert spool.hand_over(lambda channel, payload: taken.append(payload["n"])) == 3
    assert taken == [0, 1, 2, 3, 4]


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path):
    spool = InboundSpool(tmp_path)
    spool.keep("sms", {"n": 1})
    with open(spool.path, "a", encoding="utf-8") as file:
        file.write('{"channel": "sms", "payl')  # the process died mid-write: never answered
    spool.keep("sms", {"n": 2})
    taken = []
    spool.hand_over(lambda channel, payload: taken.append(payload["n"]))
    assert taken == [1, 2]


def _keep_many(folder: str, worker: int) -> None:
    spool = InboundSpool(folder)
    for n in range(40):
        spool.keep("sms", {"worker": worker, "n": n})


def test_processes_keeping_at_once_lose_nothing(tmp_path):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_keep_many, args=(str(tmp_path), w)) for w in range(5)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(30)
    taken = []
    InboundSpool(tmp_path).hand_over(lambda channel, payload: taken.append(payload))
    assert len(taken) == 200
    for worker in range(5):  # each process's messages in the order it kept them
        assert [p["n"] for p in taken if p["worker"] == worker] == list(range(40))
