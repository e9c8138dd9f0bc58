"""Every SMS, WhatsApp and Slack message acknowledged at once, kept, and answered once by
whichever server is alive, end to end: the real Rasa and action servers, signed Twilio and
Slack deliveries, fakes of their APIs. A conversation's lock is held by the test (as a
busy or dead server holds it) to stop a turn halfway, deterministically: the webhook
answers while the turn waits; a Rasa server killed (SIGKILL) while its turn waits leaves
the message to a fresh server, and the provider's re-delivery of the same MessageSid or
event_id neither drops it nor answers it twice; an action server killed mid-turn leaves
the message kept, with one holding notice, and answered once it is back."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.ledger.models import HeldMessage
from bot.messaging import holding_texts
from bot.runtime.app import ARApp
from bot.runtime.runner import READY_PATH, rasa_server_environment, wait_until_up
from bot.settings import PROJECT_ROOT
from integrations.sqlite_lock_store import SQLiteLockStore
from tests.fakes.waiting import until
from tests.integration.conftest import WITH_ACTION_SERVER
from tests.integration.figures import open_total
from tests.integration.providers import faked_providers
from tests.integration.test_faults import ActionServer, phone, received_until, user_texts
from tests.integration.test_slack_channel import SlackChannel

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def server_settings():
    """An action server of its own: a test kills it in the middle of a turn."""
    return dict(WITH_ACTION_SERVER)

# The `assistant` fixture (real Rasa and action servers) comes from tests/integration/conftest.py.

BOB, JANE, KLAUS = "+14155550102", "+14155550101", "+4915112345678"
PETER = "U03INITECH"  # INITECH-003 in Slack
CLAIM_SECONDS = 3  # INBOUND_CLAIM_SECONDS here: a dead server's claim lapses quickly
# Rasa's own ticket lifetime for a conversation lock: a killed server's ticket blocks its
# conversation this long (60 s by default).
LOCK_LIFETIME_SECONDS = 10


@pytest.fixture(scope="module", autouse=True)
def outside():
    with faked_providers(INBOUND_CLAIM_SECONDS=str(CLAIM_SECONDS),
                         TICKET_LOCK_LIFETIME=str(LOCK_LIFETIME_SECONDS)) as apis:
        yield apis


@pytest.fixture(scope="module")
def ledger(assistant) -> ARApp:
    return ARApp(assistant)


@contextlib.contextmanager
def conversation_locked(settings, sender: str):
    """Hold the conversation's lock, as a server in the middle of a long turn holds it:
    every turn of the sender waits until the block ends."""
    store = SQLiteLockStore(path=make_url(settings.lock_store_url).database)
    ticket = store.issue_ticket(sender, 300)
    assert not store.get_lock(sender).is_locked(ticket), "the conversation was busy"
    try:
        yield
    finally:
        store.cleanup(sender, ticket)


def kept(ledger: ARApp, channel: str, sender: str) -> list[HeldMessage]:
    with ledger.session() as session:
        return list(session.scalars(select(HeldMessage).where(
            HeldMessage.channel == channel, HeldMessage.sender == sender)))


def being_answered(ledger: ARApp, channel: str, sender: str) -> bool:
    return any(row.status == "claimed" for row in kept(ledger, channel, sender))


class RasaServer:
    """The assistant's Rasa server, killed and started again by the test (by its pid)."""

    def __init__(self, settings, processes: list):
        self.settings, self.processes = settings, processes

    def kill(self) -> None:
        os.killpg(self.processes[1].pid, signal.SIGKILL)
        self.processes[1].wait(timeout=30)

    def start(self) -> None:
        # As bot.runtime.runner starts it; the fixture's teardown stops it with the rest.
        port = self.settings.rasa_port
        env = rasa_server_environment(self.settings, port)
        log = open(self.settings.state_dir / "logs" / "rasa-restarted.log", "ab")
        self.processes[1] = subprocess.Popen(
            self.processes[1].args, cwd=PROJECT_ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
        assert wait_until_up(f"http://127.0.0.1:{port}{READY_PATH}", [self.processes[1]]), \
            "the Rasa server did not come back"


def test_twilio_is_acknowledged_before_the_turn_and_the_reply_follows(assistant, outside,
                                                                      ledger):
    bob = phone(assistant, outside, BOB)
    with conversation_locked(assistant, BOB):  # the turn cannot finish meanwhile
        started = time.monotonic()
        reply = bob.post(bob.fields("how much do we owe?"), wait=False, timeout=10)
        acknowledged = time.monotonic() - started
        assert reply.status == 200 and "<Response/>" in reply.body
        assert [row.payload["body"] for row in kept(ledger, "sms", BOB)] == [
            "how much do we owe?"]
        time.sleep(1)
        assert bob.new_messages() == [] and "how much do we owe?" not in user_texts(bob)
    print(f"\nTwilio acknowledged in {acknowledged * 1000:.0f} ms, the turn still waiting")
    assert open_total(ledger, "ACME-001") in received_until(
        bob, lambda got: open_total(ledger, "ACME-001") in got, 60)
    assert until(lambda: kept(ledger, "sms", BOB) == [], 30)
    assert user_texts(bob).count("how much do we owe?") == 1


def test_messages_sent_together_are_answered_one_at_a_time_in_the_order_received(
        assistant, outside, ledger):
    jane = phone(assistant, outside, JANE)
    questions = ["hello", "what's our balance?", "thanks"]
    with conversation_locked(assistant, JANE):
        for text in questions:  # all acknowledged while the first turn waits
            assert jane.post(jane.fields(text), wait=False, timeout=10).status == 200
        assert len(kept(ledger, "sms", JANE)) == 3
    jane.wait_until_answered()
    assert user_texts(jane)[-3:] == questions
    assert open_total(ledger, "ACME-001") in jane.reads()


def test_a_rasa_server_killed_mid_turn_leaves_sms_and_slack_messages_answered_once(
        assistant, servers, outside, ledger):
    klaus = phone(assistant, outside, "whatsapp:" + KLAUS)  # GLOBEX-002, German
    sms = klaus.fields("Wie hoch ist unser offener Saldo?")
    shared = SlackChannel(ledger, outside["slack"], "C0KILLED")
    question = shared.event(PETER, "how much do we owe?")
    rasa = RasaServer(assistant, servers)
    with conversation_locked(assistant, klaus.number), conversation_locked(assistant, PETER):
        assert klaus.post(sms, wait=False, timeout=10).status == 200
        assert shared.deliver(question) == 200
        # Each turn has begun (claimed) and waits for its conversation: the server dies.
        assert until(lambda: being_answered(ledger, "whatsapp", klaus.number)
                     and being_answered(ledger, "slack", PETER), 30)
        rasa.kill()
    rasa.start()  # a fresh server on the same databases
    # The provider (or nginx, to another server) delivers the same ids again.
    assert klaus.post(sms, wait=False).status == 200
    assert shared.deliver(question, headers={"X-Slack-Retry-Num": "1",
                                             "X-Slack-Retry-Reason": "http_error"}) == 200
    assert open_total(ledger, "GLOBEX-002") in received_until(
        klaus, lambda got: open_total(ledger, "GLOBEX-002") in got, 90)
    answer = shared.answer_to(question)
    assert f"Initech Ltd has {open_total(ledger, 'INITECH-003')} open" in answer
    # Once each: one turn in the transcript, one answer sent (counted once each turn is
    # done: the Slack message leaves the queue after its handoff check, not with its reply).
    klaus.wait_until_answered()
    assert until(lambda: not kept(ledger, "slack", PETER), 30)
    assert user_texts(klaus).count("Wie hoch ist unser offener Saldo?") == 1
    sent = [m.body for m in outside["twilio"].sent_to(klaus.number)]
    assert len(sent) == len(set(sent)), sent
    assert shared.thread(question["event"]["ts"]).count(answer.split("\n")[0]) <= 1
    assert sum("Initech Ltd has" in post for post in shared.thread(question["event"]["ts"])) == 1
    assert kept(ledger, "whatsapp", klaus.number) == [] and kept(ledger, "slack", PETER) == []


def test_an_action_server_killed_mid_turn_leaves_the_message_kept_and_answered_once(
        assistant, servers, outside, ledger):
    bob = phone(assistant, outside, BOB)
    actions = ActionServer(assistant, servers)
    try:
        with conversation_locked(assistant, BOB):
            assert bob.post(bob.fields("and what is overdue?"), wait=False).status == 200
            # the action server answered the health check; the turn waits for its lock
            assert until(lambda: being_answered(ledger, "sms", BOB), 30)
            os.killpg(servers[0].pid, signal.SIGKILL)
            servers[0].wait(timeout=30)
        notice = holding_texts.UNAVAILABLE_TEXTS["en"]
        assert notice in received_until(bob, lambda got: notice in got, 60)
        bob.wait_until_answered()
        # kept, not lost, and the failed turn was not saved half done
        assert [row.payload["body"] for row in kept(ledger, "sms", BOB)] == [
            "and what is overdue?"]
        assert "and what is overdue?" not in user_texts(bob)
    finally:
        actions.start()
    assert "overdue" in received_until(bob, lambda got: "overdue" in got and notice not in got,
                                       90)
    assert until(lambda: kept(ledger, "sms", BOB) == [], 30)
    assert user_texts(bob).count("and what is overdue?") == 1
    assert [m.body for m in outside["twilio"].sent_to(BOB)].count(notice) == 1
