"""Customers in Slack: real Rasa and action servers started like `make run`, Slack's
signed event deliveries posted to /webhooks/slack/webhook, and what Slack would show
read back from a fake of Slack's Web API."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import time
import urllib.error
import urllib.request
from unittest import mock

import pytest

from bot.messaging import channel_store
from bot.runtime.app import ARApp
from integrations.slack_api import thread_address
from tests.fakes import slack_events as shapes
from tests.fakes.slack_api import FakeSlackAPI, SlackUser
from tests.integration.figures import open_total

pytestmark = pytest.mark.servers

# The `assistant` fixture (real Rasa and action servers) comes from tests/integration/conftest.py.

SECRET, TOKEN = "integration-signing-secret", "xoxb-integration"
MAX_CHARS = 150  # small, so that a balance answer takes several Slack messages
REPLY_DEADLINE = 90  # seconds: the answer is posted by a background task
_ts = itertools.count(1)


@pytest.fixture(scope="module", autouse=True)
def slack():
    """The fake Slack Web API, and the settings that point the assistant at it (in place
    before the `assistant` fixture starts the servers)."""
    with FakeSlackAPI(TOKEN) as api:
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_BASE_URL": api.base_url, "SLACK_MAX_MESSAGE_CHARS": str(MAX_CHARS),
               "OUTBOX_FIRST_RETRY_SECONDS": "1", "OUTBOX_POLL_SECONDS": "1"}
        with mock.patch.dict(os.environ, env):
            yield api


@pytest.fixture(scope="module")
def ledger(assistant) -> ARApp:
    return ARApp(assistant)


class SlackChannel:
    """A shared channel: people write in it, Slack delivers each message to us signed."""

    def __init__(self, app: ARApp, slack: FakeSlackAPI, channel_id: str):
        self.app, self.slack, self.id = app, slack, channel_id

    def event(self, user, text, event_type="message", **extra) -> dict:
        ts = f"1790000000.{next(_ts):06d}"
        event = {"type": event_type, "user": user, "text": text, "channel": self.id,
                 "ts": ts, "team": "T0CUSTOMER", **extra}
        return {"type": "event_callback", "event_id": f"Ev{ts.replace('.', '')}",
                "team_id": "T0NORTHWIND", "event": {k: v for k, v in event.items() if v}}

    def deliver(self, payload, *, secret=SECRET, age_seconds=0, headers=None) -> int:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        ts = str(int(time.time()) - age_seconds)
        signature = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + body,
                                     hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.app.settings.rasa_port}/webhooks/slack/webhook", body,
            {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
             "X-Slack-Signature": signature, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as refused:
            return refused.code

    def thread(self, thread_ts: str) -> list[str]:
        return [p.text for p in self.slack.posts(self.id) if p.thread_ts == thread_ts]

    def answer_to(self, payload: dict, posted_before: int = 0) -> str:
        """The whole answer posted in the message's thread, once it has come (after the
        posted_before posts already in that thread)."""
        thread_ts = payload["event"].get("thread_ts") or payload["event"]["ts"]
        deadline = time.monotonic() + REPLY_DEADLINE
        # A turn's replies are all queued before the first is posted: once one is in
        # the thread, the answer is whole when nothing for the thread waits in the outbox.
        while not (len(self.thread(thread_ts)) > posted_before
                   and not self._waiting(thread_ts)) and time.monotonic() < deadline:
            time.sleep(0.2)
        return " ".join(self.thread(thread_ts)[posted_before:])

    def _waiting(self, thread_ts: str) -> bool:
        with self.app.session() as session:
            return bool(channel_store.pending_for(session, "slack",
                                                  thread_address(self.id, thread_ts)))

    def says(self, user: str, text: str) -> str:
        payload = self.event(user, text)
        assert self.deliver(payload) == 200
        return self.answer_to(payload)

    def only_answered(self, payload: dict) -> None:
        """After what came before, a real question is the only thing answered here."""
        question = self.event("U03INITECH", "what is our balance?")
        assert self.deliver(question) == 200
        assert self.answer_to(question)
        assert {p.thread_ts for p in self.slack.posts(self.id)} == {question["event"]["ts"]}


def channel(ledger, slack, name: str) -> SlackChannel:
    return SlackChannel(ledger, slack, f"C0{name.upper()}")


def test_peter_asks_his_balance_and_the_answer_is_in_his_message_thread(ledger, slack):
    shared = channel(ledger, slack, "initech")
    reply = shared.says("U03INITECH", "hi, what's our current balance?")
    assert "Initech Ltd has" in reply
    assert f"{open_total(ledger, 'INITECH-003')} open" in reply


def test_a_long_answer_comes_whole_in_several_messages_in_reading_order(ledger, slack):
    shared = channel(ledger, slack, "longanswer")
    question = shared.event("U03INITECH", "how much do we owe")
    assert shared.deliver(question) == 200
    shared.answer_to(question)
    parts = shared.thread(question["event"]["ts"])
    assert len(parts) > 1 and all(len(p) <= MAX_CHARS for p in parts)
    whole = " ".join(parts)
    assert whole.index("Initech Ltd has") < whole.index("Aging: current")
    assert whole.rstrip().endswith(".")


def test_an_answer_in_a_thread_stays_in_that_thread(ledger, slack):
    shared = channel(ledger, slack, "threaded")
    question = shared.event("U03INITECH", "what do we owe", thread_ts="1780000000.000001")
    assert shared.deliver(question) == 200
    assert open_total(ledger, "INITECH-003") in shared.answer_to(question)


@pytest.mark.parametrize("forgery", [{"secret": "not-the-secret"}, {"age_seconds": 600},
                                     {"headers": {"X-Slack-Signature": ""}}])
def test_forged_or_stale_requests_are_refused_and_nothing_is_posted(ledger, slack,
                                                                    forgery):
    shared = channel(ledger, slack, f"forged{len(slack.posts())}")
    assert shared.deliver(shared.event("U03INITECH", "what do we owe"), **forgery) == 403
    shared.only_answered(None)


def test_slack_retrying_an_event_gets_it_answered_once(ledger, slack):
    shared = channel(ledger, slack, "retried")
    question = shared.event("U03INITECH", "what's our balance")
    assert shared.deliver(question) == 200
    assert shared.deliver(question, headers={"X-Slack-Retry-Num": "1",
                                             "X-Slack-Retry-Reason": "http_timeout"}) == 200
    first = shared.answer_to(question)
    later = shared.event("U03INITECH", "thanks")
    assert shared.deliver(later) == 200
    assert shared.answer_to(later)
    assert first.count("Initech Ltd has") == 1
    assert " ".join(shared.thread(question["event"]["ts"])).count("Initech Ltd has") == 1


def test_a_mention_delivered_as_message_and_app_mention_is_answered_once(ledger, slack):
    shared = channel(ledger, slack, "mentioned")
    question = shared.event("U03INITECH", "<@U0ARBOT> what do we owe")
    mention = {**question, "event_id": question["event_id"] + "m",
               "event": {**question["event"], "type": "app_mention"}}
    assert shared.deliver(question) == 200 and shared.deliver(mention) == 200
    shared.answer_to(question)
    later = shared.event("U03INITECH", "thanks")
    assert shared.deliver(later) == 200 and shared.answer_to(later)
    assert " ".join(shared.thread(question["event"]["ts"])).count("Initech Ltd has") == 1


@pytest.mark.parametrize("broken", [
    {"drop": "user"}, {"drop": "text"}, {"event_type": "reaction_added"},
    {"extra": {"subtype": "message_changed"}}, {"extra": {"bot_id": "B0ARBOT"}},
    {"raw": {"type": "event_callback", "event_id": "EvBROKEN"}}, {"raw": b"{not json"},
])
def test_events_missing_fields_are_answered_cleanly_and_nothing_is_posted(ledger, slack,
                                                                         broken):
    shared = channel(ledger, slack, f"broken{len(slack.posts())}")
    payload = broken.get("raw") or shared.event(
        "U03INITECH", "what do we owe", broken.get("event_type", "message"),
        **broken.get("extra", {}))
    if "drop" in broken:
        del payload["event"][broken["drop"]]
    assert shared.deliver(payload) in (200, 400)
    shared.only_answered(None)


def test_a_slack_user_not_on_file_with_a_confirmed_contact_email_is_recognised(
        ledger, slack):
    slack.users["U05ACMEBOB"] = SlackUser("bob.smith@acme.example", email_confirmed=True)
    shared = channel(ledger, slack, "acme")
    reply = shared.says("U05ACMEBOB", "what is our balance?")
    assert f"Acme Corporation has {open_total(ledger, 'ACME-001')} open" in reply


def test_a_slack_user_whose_email_is_unconfirmed_gets_no_figure(ledger, slack):
    slack.users["U06GLOBEX"] = SlackUser("k.weber@globex.example", email_confirmed=False)
    shared = channel(ledger, slack, "globex")
    reply = shared.says("U06GLOBEX", "what is our balance?")
    assert "confirm who you are" in reply
    assert open_total(ledger, "GLOBEX-002") not in reply and "Globex" not in reply


def test_a_failed_post_to_slack_is_retried_until_delivered(ledger, slack):
    shared = channel(ledger, slack, "flaky")
    failed_before = slack.failed_posts
    slack.fail_next(2)
    reply = shared.says("U03INITECH", "how much do we owe?")
    assert slack.failed_posts == failed_before + 2
    assert f"Initech Ltd has {open_total(ledger, 'INITECH-003')} open" in reply
    assert reply.index("Initech Ltd has") < reply.index("Aging: current")


# --- the shapes Slack really sends (tests/fakes/slack_events.py) --------------------------

def test_a_rich_text_message_with_a_mention_and_a_link_is_answered(ledger, slack):
    shared = channel(ledger, slack, "richtext")
    question = shapes.envelope(shapes.user_message(
        "U03INITECH", "<@U0ARBOT> what's our balance? we pay from "
                      "<https://pay.initech.example|pay.initech.example>", shared.id,
        blocks=shapes.rich_text({"type": "user", "user_id": "U0ARBOT"},
                                {"type": "text", "text": " what's our balance? we pay from "},
                                {"type": "link", "url": "https://pay.initech.example",
                                 "text": "pay.initech.example"})))
    assert shared.deliver(question) == 200
    assert f"Initech Ltd has {open_total(ledger, 'INITECH-003')} open" in shared.answer_to(
        question)


def test_a_file_shared_with_a_question_gets_the_question_answered(ledger, slack):
    shared = channel(ledger, slack, "filequestion")
    question = shapes.envelope(shapes.file_share("U03INITECH", "how much do we owe?",
                                                 shared.id))
    assert shared.deliver(question) == 200
    assert f"Initech Ltd has {open_total(ledger, 'INITECH-003')} open" in shared.answer_to(
        question)


def test_a_file_shared_without_a_word_gets_the_text_only_reply(ledger, slack):
    shared = channel(ledger, slack, "fileonly")
    upload = shapes.envelope(shapes.file_share("U03INITECH", "", shared.id))
    assert shared.deliver(upload) == 200
    assert shared.answer_to(upload) == "Sorry, I can only read text. Please type your question."


def test_the_text_only_reply_is_in_the_language_of_the_conversation(ledger, slack):
    shared = channel(ledger, slack, "filespanish")  # Jane's contact language is English
    assert "Acme Corporation" in shared.says("U01ACMEJANE",
                                             "Hola, ¿cuánto debemos en total ahora mismo?")
    upload = shapes.envelope(shapes.file_share("U01ACMEJANE", "", shared.id))
    assert shared.deliver(upload) == 200
    assert shared.answer_to(upload) == (
        "Lo siento, solo puedo leer texto. Escriba su pregunta, por favor.")


def test_a_thread_reply_is_answered_in_that_thread(ledger, slack):
    shared = channel(ledger, slack, "threadreply")
    first = shared.event("U03INITECH", "hello")
    assert shared.deliver(first) == 200 and shared.answer_to(first)
    reply = shapes.envelope(shapes.user_message("U03INITECH", "what do we owe?", shared.id,
                                                thread_ts=first["event"]["ts"]))
    greeting = len(shared.thread(first["event"]["ts"]))
    assert shared.deliver(reply) == 200
    assert "Initech Ltd has" in shared.answer_to(reply, posted_before=greeting)
    assert {p.thread_ts for p in slack.posts(shared.id)} == {first["event"]["ts"]}


def test_a_slack_connect_message_from_the_customers_workspace_is_answered(ledger, slack):
    shared = channel(ledger, slack, "connect")
    question = shapes.envelope(shapes.slack_connect("U03INITECH", "what's our balance?",
                                                    shared.id), shared=True)
    assert shared.deliver(question) == 200
    assert f"Initech Ltd has {open_total(ledger, 'INITECH-003')} open" in shared.answer_to(
        question)


def test_a_mention_sent_as_message_and_app_mention_is_answered_once(ledger, slack):
    shared = channel(ledger, slack, "realmention")
    post = shapes.user_message("U03INITECH", "<@U0ARBOT> what do we owe?", shared.id)
    assert shared.deliver(shapes.envelope(shapes.app_mention(post))) == 200
    assert shared.deliver(shapes.envelope(post)) == 200
    retry = shapes.envelope(post)
    assert shared.deliver(retry, headers={"X-Slack-Retry-Num": "1",
                                          "X-Slack-Retry-Reason": "http_timeout"}) == 200
    assert "Initech Ltd has" in shared.answer_to(retry)
    later = shared.event("U03INITECH", "thanks")
    assert shared.deliver(later) == 200 and shared.answer_to(later)
    assert " ".join(shared.thread(post["ts"])).count("Initech Ltd has") == 1


@pytest.mark.parametrize("make", [
    lambda c: shapes.message_changed("U03INITECH", "what do we owe", "what do we owe?", c),
    lambda c: shapes.message_deleted("U03INITECH", "what do we owe?", c),
    lambda c: shapes.bot_message("Reminder: what do we owe?", c),
    lambda c: shapes.our_own_post("Initech Ltd has $1.00 open. What else?", c),
    lambda c: shapes.channel_join("U03INITECH", c),
    lambda c: shapes.channel_leave("U03INITECH", c),
    lambda c: shapes.channel_topic("U03INITECH", "what do we owe", c),
], ids=["edited", "deleted", "bot_message", "our-own-post", "join", "leave", "topic"])
def test_edits_deletions_bots_our_posts_and_notices_get_no_answer(ledger, slack, make):
    shared = channel(ledger, slack, f"ignored{len(slack.posts())}")
    assert shared.deliver(shapes.envelope(make(shared.id))) == 200
    shared.only_answered(None)


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"type": "event_callback"}'],
                         ids=["not-json", "not-an-object", "no-event"])
def test_a_malformed_request_is_a_bad_request_and_nothing_is_posted(ledger, slack, body):
    shared = channel(ledger, slack, f"malformed{len(slack.posts())}")
    assert shared.deliver(body) == 400
    shared.only_answered(None)
