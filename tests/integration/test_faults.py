"""Floods and services down, end to end: the real Rasa and action servers, signed Twilio
and Slack deliveries, the web chat, fakes of Twilio's and Slack's APIs. A sender over the
rate limit gets one polite answer in their language and every message is answered, in
order, once they are under it again; with the action server down a customer gets a
holding answer and the answer itself once it is back; with Twilio or Slack down the
replies wait in the outbox and all arrive, in order, when it returns."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from bot.messaging import holding_texts
from bot.runtime.app import ARApp
from bot.runtime.runner import server_environment
from bot.settings import PROJECT_ROOT
from tests.fakes.waiting import until
from tests.integration.conftest import WITH_ACTION_SERVER
from tests.integration.figures import open_total
from tests.integration.providers import faked_providers
from tests.integration.test_slack_channel import SlackChannel
from tests.integration.test_twilio_channel import Phone
from tests.integration.test_documents import phone as documents_phone
from tests.integration.test_documents import ProxiedWebVisitor as WebVisitor  # PUBLIC_BASE_URL is https

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def server_settings():
    """An action server of its own: these tests stop it and start it again."""
    return dict(WITH_ACTION_SERVER)

# The `assistant` fixture (real Rasa and action servers) comes from tests/integration/conftest.py.

LIMIT, WINDOW = 3, 20  # messages per sender per window of seconds
LUCIA, KLAUS, BOB, JOAO = "+34612345678", "+4915112345678", "+14155550102", "+5511987654321"
ANSWERED_WITHIN = 90  # seconds: a kept message waits for the next window or the restart


@pytest.fixture(scope="module", autouse=True)
def outside():
    with faked_providers(RATE_LIMIT_MESSAGES=str(LIMIT),
                         RATE_LIMIT_WINDOW_SECONDS=str(WINDOW)) as apis:
        yield apis


@pytest.fixture(scope="module")
def ledger(assistant) -> ARApp:
    return ARApp(assistant)


def phone(settings, outside, number: str) -> Phone:
    return documents_phone(settings, outside, number)


def at_the_start_of_a_window() -> None:
    """Wait for a fresh rate-limit window, so that a burst falls in one window."""
    into = time.time() % WINDOW
    if into > 1:
        time.sleep(WINDOW - into + 0.2)


def user_texts(texting: Phone) -> list[str]:
    return [e["text"] for e in texting._events() if e["event"] == "user"]


def received_until(texting: Phone, done, timeout=ANSWERED_WITHIN) -> str:
    received: list = []

    def whole() -> bool:
        received.extend(texting.new_messages())
        return done(" ".join(m.body for m in received))

    assert until(whole, timeout), " ".join(m.body for m in received)
    return " ".join(m.body for m in received)


class ActionServer:
    """The assistant's action server, stopped and started again by the test (by its pid)."""

    def __init__(self, settings, processes: list):
        self.settings, self.processes = settings, processes

    def health(self) -> bool:
        try:
            url = f"http://127.0.0.1:{self.settings.action_port}/health"
            with urllib.request.urlopen(url, timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        os.killpg(self.processes[0].pid, signal.SIGTERM)
        self.processes[0].wait(timeout=30)
        assert not self.health()

    def start(self) -> None:
        # As bot.runtime.runner starts it; the fixture's teardown stops it with the rest.
        self.processes[0] = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions",
             "--port", str(self.settings.action_port)],
            cwd=PROJECT_ROOT, env=server_environment(self.settings),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        assert until(self.health, 120), "the action server did not come back"


# --- rate limits ------------------------------------------------------------------------

def test_an_sms_flood_gets_one_polite_answer_and_every_message_answered_in_order(
        assistant, outside, ledger):
    lucia = phone(assistant, outside, LUCIA)  # SOYLENT-004, Spanish
    burst = ["hola", "gracias", "vale", "¿cuánto debemos?", "¿y cuánto está vencido?"]
    at_the_start_of_a_window()
    for text in burst:
        lucia.texts(text)
    # Over the limit: the notice, once, in Spanish; the last two not answered yet.
    notice = holding_texts.RATE_LIMITED_TEXTS["es"]
    arrived = received_until(lucia, lambda got: notice in got, 30)
    assert open_total(ledger, "SOYLENT-004") not in arrived
    assert user_texts(lucia) == burst[:3]
    # The next window: both kept messages reach the assistant, in order, and are answered.
    later = received_until(lucia, lambda got: open_total(ledger, "SOYLENT-004") in got)
    assert until(lambda: user_texts(lucia) == burst, ANSWERED_WITHIN), user_texts(lucia)
    assert notice not in later
    assert [m.body for m in outside["twilio"].sent_to(LUCIA)].count(notice) == 1


def test_a_web_chat_flood_is_kept_and_its_answers_appear_in_the_history(assistant):
    visitor = WebVisitor(assistant)
    at_the_start_of_a_window()
    statuses = [visitor.post({"text": t})[0] for t in ["hi", "hello", "good morning"]]
    status, data = visitor.post({"text": "what's our balance?"})
    assert statuses == [200, 200, 200] and status == 202
    assert [m["text"] for m in data["messages"]] == [holding_texts.RATE_LIMITED_TEXTS["en"]]
    status, data = visitor.post({"text": "ACME-001"})
    assert status == 202 and data["messages"] == []

    def asked_and_answered() -> bool:
        said = [m["text"] for m in visitor.history() if m["sender"] == "user"]
        return said[-2:] == ["what's our balance?", "ACME-001"] and \
            visitor.history()[-1]["sender"] == "bot"

    assert until(asked_and_answered, ANSWERED_WITHIN)
    assert "invoice" in visitor.history()[-1]["text"].lower()  # next: an invoice number


def test_a_slack_flood_gets_one_notice_and_every_message_answered(assistant, outside,
                                                                  ledger):
    shared = SlackChannel(ledger, outside["slack"], "C0FLOOD")
    at_the_start_of_a_window()
    # Each message is answered in its own thread, in the background, so which one is
    # over the limit depends on which is handled first: one of the four.
    questions = [shared.event("U03INITECH", t) for t in
                 ["how much do we owe?", "what's our balance?", "how much is open?",
                  "what do we owe you?"]]
    for payload in questions:
        assert shared.deliver(payload) == 200
    owed = f"Initech Ltd has {open_total(ledger, 'INITECH-003')} open"
    threads = [q["event"]["ts"] for q in questions]

    def all_answered() -> bool:
        return all(owed in " ".join(shared.thread(ts)) for ts in threads)

    assert until(all_answered, ANSWERED_WITHIN), [shared.thread(ts) for ts in threads]
    posts = [text for ts in threads for text in shared.thread(ts)]
    assert posts.count(holding_texts.RATE_LIMITED_TEXTS["en"]) == 1


# --- the action server down ---------------------------------------------------------------

def test_with_the_action_server_down_customers_are_told_and_answered_once_it_is_back(
        assistant, servers, outside, ledger):
    klaus = phone(assistant, outside, KLAUS)  # GLOBEX-002, German, WhatsApp contact
    bob = phone(assistant, outside, BOB)  # ACME-001, English
    web = WebVisitor(assistant)
    shared = SlackChannel(ledger, outside["slack"], "C0ACTIONSDOWN")
    slack_question = shared.event("U03INITECH", "how much do we owe?")
    slack_thread = slack_question["event"]["ts"]
    actions = ActionServer(assistant, servers)
    actions.stop()
    try:
        assert shared.deliver(slack_question) == 200
        assert until(lambda: shared.thread(slack_thread) == [
            holding_texts.UNAVAILABLE_TEXTS["en"]], 30), shared.thread(slack_thread)
        klaus.texts("Wie hoch ist unser offener Saldo?")
        bob.texts("how much do we owe?")
        bob.texts("and what is overdue?")
        status, data = web.post({"text": "what's our balance?"})
        assert status == 202
        assert [m["text"] for m in data["messages"]] == [holding_texts.UNAVAILABLE_TEXTS["en"]]
        assert received_until(klaus, lambda got: holding_texts.UNAVAILABLE_TEXTS["de"] in got, 30)
        waiting = received_until(bob, lambda got: holding_texts.UNAVAILABLE_TEXTS["en"] in got,
                                 30)
        assert waiting.count(holding_texts.UNAVAILABLE_TEXTS["en"]) == 1  # once, not per message
        time.sleep(3)  # the kept messages are not tried while it is down
        assert klaus.new_messages() == [] and bob.new_messages() == []
    finally:
        actions.start()
    assert open_total(ledger, "GLOBEX-002") in received_until(
        klaus, lambda got: open_total(ledger, "GLOBEX-002") in got)
    assert open_total(ledger, "ACME-001") in received_until(
        bob, lambda got: open_total(ledger, "ACME-001") in got)
    assert until(lambda: user_texts(bob)[-2:] == ["how much do we owe?",
                                                  "and what is overdue?"], ANSWERED_WITHIN)
    assert user_texts(klaus).count("Wie hoch ist unser offener Saldo?") == 1
    owed = f"Initech Ltd has {open_total(ledger, 'INITECH-003')} open"
    assert until(lambda: owed in " ".join(shared.thread(slack_thread)), ANSWERED_WITHIN)
    assert until(lambda: web.history() and web.history()[-1]["sender"] == "bot",
                 ANSWERED_WITHIN)
    assert [m["text"] for m in web.history() if m["sender"] == "user"] == ["what's our balance?"]


# --- Twilio and Slack down for a while -----------------------------------------------------

def test_with_twilio_down_replies_wait_in_the_outbox_and_all_arrive_in_order(
        assistant, outside, ledger):
    twilio = outside["twilio"]
    joao = phone(assistant, outside, JOAO)  # VANDELAY-006, Portuguese, WhatsApp... by SMS here
    twilio.down()
    try:
        joao.texts("quanto devemos?")
        joao.texts("obrigado")
        time.sleep(3)  # several tries fail while it is down
        assert joao.new_messages() == []
    finally:
        twilio.up()
    arrived = received_until(joao, lambda got: open_total(ledger, "VANDELAY-006") in got)
    answers = [m.body for m in twilio.sent_to(JOAO)]
    assert answers and open_total(ledger, "VANDELAY-006") in " ".join(answers)
    assert arrived


def test_with_slack_down_the_answer_waits_and_arrives_whole_in_order(assistant, outside,
                                                                     ledger):
    slack = outside["slack"]
    shared = SlackChannel(ledger, slack, "C0OUTAGE")
    payload = shared.event("U03INITECH", "how much do we owe?")
    slack.down()
    try:
        assert shared.deliver(payload) == 200
        assert until(lambda: slack.failed_posts >= 2, 30)
        assert shared.thread(payload["event"]["ts"]) == []
    finally:
        slack.up()
    answer = shared.answer_to(payload)
    assert f"Initech Ltd has {open_total(ledger, 'INITECH-003')} open" in answer
    assert answer.index("Initech Ltd has") < answer.index("Aging: current")
