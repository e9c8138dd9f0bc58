"""Two Rasa servers and two action servers behind nginx, sharing PostgreSQL (ledger and
transcripts) and a Redis lock store: every conversation keeps every turn exactly once, in
the order sent, each followed by its own answer; even when a server is killed mid-load."""

from __future__ import annotations

import os
import signal
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.production.conftest import turns

pytestmark = pytest.mark.servers

# Small talk any sender gets an answer to, whoever they are.
MESSAGES = ("hello", "what can you do?", "thanks", "hi there")
CONVERSATIONS = 10
# A customer's next message follows this soon after the one before, before its answer.
GAP_SECONDS = 0.4


def run_conversations(production, prefix: str, count: int, during=None):
    """`count` conversations at once; each sends MESSAGES GAP_SECONDS apart without waiting
    for the answers, through nginx, so consecutive messages of one conversation reach
    different servers at the same time. What each request got back, by sender."""
    answers: dict[str, list] = {}
    latencies: list[float] = []
    lock = threading.Lock()

    def one_message(sender: str, index: int, text: str):
        time.sleep(index * GAP_SECONDS)
        started = time.monotonic()
        try:
            replies, upstream = production.say(sender, text)
        except OSError as error:  # kept, and reported by the assertions
            replies, upstream = [f"<no answer: {error}>"], ""
        with lock:
            latencies.append(time.monotonic() - started)
            answers.setdefault(sender, {})[index] = (replies, upstream)

    senders = [f"{prefix}-{n}-{uuid.uuid4().hex[:6]}" for n in range(count)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=count * len(MESSAGES)) as pool:
        futures = [pool.submit(one_message, s, i, t) for s in senders
                   for i, t in enumerate(MESSAGES)]
        if during is not None:
            during()
        for future in futures:
            future.result()
    took = time.monotonic() - started
    print(f"\n{count} conversations x {len(MESSAGES)} messages in {took:.1f} s; "
          f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")
    return {s: [answers[s][i] for i in range(len(MESSAGES))] for s in senders}


def assert_every_turn_once_in_order_with_its_answer(production, answers):
    for sender, sent in answers.items():
        held = turns(production.events(sender))
        assert [text for text, _ in held] == list(MESSAGES), sender
        for (text, bot_said), (replies, _upstream) in zip(held, sent):
            assert bot_said, f"{sender}: {text!r} has no answer in the transcript"
            assert replies == bot_said, f"{sender}: {text!r} was answered {replies}, " \
                                        f"the transcript says {bot_said}"


def test_both_rasa_servers_answer_through_nginx(production):
    sender = f"lb-{uuid.uuid4().hex[:6]}"
    upstreams = {production.say(sender, text)[1] for text in MESSAGES}
    assert upstreams == {f"127.0.0.1:{port}" for port in production.settings.rasa_ports}
    assert [text for text, _ in turns(production.events(sender))] == list(MESSAGES)


def test_messages_of_one_conversation_at_both_servers_at_once_keep_every_turn_in_order(
        production):
    answers = run_conversations(production, "race", CONVERSATIONS)
    served = {upstream for sent in answers.values() for _, upstream in sent}
    assert served == {f"127.0.0.1:{port}" for port in production.settings.rasa_ports}
    assert_every_turn_once_in_order_with_its_answer(production, answers)


def test_a_rasa_server_killed_under_load_loses_and_doubles_no_turn(production):
    victim = production.rasa_process(1)

    def kill_soon():
        time.sleep(GAP_SECONDS * 1.5)  # mid-conversation: messages in flight at both
        os.killpg(victim.pid, signal.SIGKILL)

    answers = run_conversations(production, "kill", CONVERSATIONS, during=kill_soon)
    assert victim.wait(timeout=10) == -signal.SIGKILL
    survivor = f"127.0.0.1:{production.settings.rasa_ports[0]}"
    last = [sent[-1][1] for sent in answers.values()]
    assert set(last) == {survivor}  # after the kill only the survivor answers
    assert_every_turn_once_in_order_with_its_answer(production, answers)
