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

from tests.command_lines import every_command_line
from tests.production.conftest import turns

pytestmark = pytest.mark.servers

# Small talk any sender gets an answer to, whoever they are.
MESSAGES = ("hello", "what can you do?", "thanks", "hi there")
CONVERSATIONS = 10
# A customer's next message follows this soon after the one before, often before its
# answer (the run prints how often). "The order sent" is the order the servers receive
# them in: messages closer together than a busy server's longest stretch of work (NLU and
# policy run on its event loop) can reach two servers in either order, and no server can
# know which was written first (neither REST nor Twilio numbers a sender's messages).
GAP_SECONDS = 0.3


def run_conversations(production, prefix: str, count: int, during=None):
    """`count` conversations at once; each sends MESSAGES GAP_SECONDS apart without waiting
    for the answers, through nginx, so consecutive messages of one conversation reach
    different servers at the same time. What each request got back, by sender."""
    answers: dict[str, list] = {}
    latencies: list[float] = []
    spans: dict[tuple[str, int], tuple[float, float]] = {}
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
            spans[(sender, index)] = (started, time.monotonic())
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
    overlapping = sum(spans[(s, i + 1)][0] < spans[(s, i)][1] for s in senders
                      for i in range(len(MESSAGES) - 1))
    print(f"\n{count} conversations x {len(MESSAGES)} messages in {took:.1f} s; "
          f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms; {overlapping} of "
          f"{count * (len(MESSAGES) - 1)} messages sent before the previous one's answer")
    return {s: [answers[s][i] for i in range(len(MESSAGES))] for s in senders}


def assert_every_turn_once_in_order_with_its_answer(production, answers):
    for sender, sent in answers.items():
        held = turns(production.events(sender))
        assert [text for text, _ in held] == list(MESSAGES), (sender, held, sent)
        for (text, bot_said), (replies, _upstream) in zip(held, sent):
            assert bot_said, f"{sender}: {text!r} has no answer in the transcript {held} {sent}"
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


def test_two_messages_of_one_conversation_at_the_same_instant_are_handled_one_after_the_other(
        production):
    """Pairs of messages released together, one to each server: within a pair either may
    go first, but each is recorded once, with its own answer right after it, never two
    turns interleaved; and the second pair after the first."""
    pairs = (MESSAGES[:2], MESSAGES[2:])
    senders = [f"pair-{n}-{uuid.uuid4().hex[:6]}" for n in range(CONVERSATIONS)]
    answers: dict[tuple[str, str], tuple[list[str], str]] = {}

    def conversation(sender: str):
        for pair in pairs:
            ready = threading.Barrier(len(pair))

            def one(text: str):
                ready.wait()
                answers[(sender, text)] = production.say(sender, text)

            both = [threading.Thread(target=one, args=(text,)) for text in pair]
            for thread in both:
                thread.start()
            for thread in both:
                thread.join(timeout=180)

    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        list(pool.map(conversation, senders))
    split = sum(len({answers[(s, t)][1] for t in pair}) == 2 for s in senders for pair in pairs)
    print(f"\n{split} of {len(senders) * len(pairs)} pairs went to both servers")
    for sender in senders:
        held = turns(production.events(sender))
        assert [sorted(t for t, _ in held[:2]), sorted(t for t, _ in held[2:])] == \
            [sorted(pair) for pair in pairs], sender
        for text, bot_said in held:
            assert bot_said and bot_said == answers[(sender, text)][0], (sender, text)


def test_no_database_or_redis_password_on_a_command_line_or_in_a_log(production):
    secrets = {"PostgreSQL password": production.postgres.password,
               "Redis password": production.redis.password,
               "RASA_AUTH_TOKEN": production.settings.rasa_auth_token}
    lines = every_command_line()
    ours = [pid for pid, line in lines.items()
            if f"--port {production.settings.rasa_ports[1]}" in line]
    assert ours, "the second Rasa server was not found among the processes"
    logs = sorted((production.settings.state_dir / "logs").glob("*.log"))
    assert {p.name for p in logs} == {"actions.log", "actions-2.log", "rasa.log",
                                      "rasa-2.log", "console.log"}
    logged = "\n".join(p.read_text(errors="replace") for p in logs)
    assert "Rasa server is up and running" in logged
    for name, value in secrets.items():
        assert [pid for pid, line in lines.items() if value in line] == [], name
        assert value not in logged, f"{name} is in the server logs"


def test_a_rasa_server_killed_under_load_loses_and_doubles_no_turn(production):
    """A message the killed server was handling is sent again by nginx to the survivor
    (its X-AR-Upstream names both): it is then received after whatever the survivor got
    meanwhile, so only the messages never retried are held to the order sent."""
    victim = production.rasa_process(1)

    def kill_soon():
        time.sleep(GAP_SECONDS * 1.5)  # mid-conversation: messages in flight at both
        os.killpg(victim.pid, signal.SIGKILL)

    answers = run_conversations(production, "kill", CONVERSATIONS, during=kill_soon)
    assert victim.wait(timeout=10) == -signal.SIGKILL
    survivor = f"127.0.0.1:{production.settings.rasa_ports[0]}"
    assert {sent[-1][1] for sent in answers.values()} == {survivor}
    retried = 0
    for sender, sent in answers.items():
        held = turns(production.events(sender))
        assert sorted(text for text, _ in held) == sorted(MESSAGES), (sender, held, sent)
        answered = {text: bot_said for text, bot_said in held}
        for text, (replies, upstream) in zip(MESSAGES, sent):
            assert answered[text] and replies == answered[text], (sender, text, held, sent)
        moved = {t for t, (_, upstream) in zip(MESSAGES, sent) if "," in upstream}
        retried += len(moved)
        assert [t for t, _ in held if t not in moved] == [t for t in MESSAGES
                                                           if t not in moved], (sender, held)
    print(f"{retried} messages in flight at the killed server were answered by the other")
