"""The Slack webhook without Rasa: what it refuses, acknowledges, and hands to the
assistant (once per message), and what reaches Slack, through a fake Slack Web API."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field

import pytest
from rasa.core.channels.channel import UserMessage

from bot.conversation.identity import identify
from bot.settings import load_settings
from integrations.slack_channel import SlackCustomerInput
from tests.fakes import slack_events as shapes
from tests.fakes.slack_api import FakeSlackAPI, SlackUser

SECRET, TOKEN = "unit-signing-secret", "xoxb-unit-test"


@dataclass
class SignedRequest:
    """What the channel reads of a Sanic request."""

    body: bytes
    headers: dict = field(default_factory=dict)


def signed(payload, secret=SECRET, age_seconds=0, **headers) -> SignedRequest:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    ts = str(int(time.time()) - age_seconds)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
    return SignedRequest(body, {"X-Slack-Request-Timestamp": ts,
                                "X-Slack-Signature": f"v0={digest.hexdigest()}", **headers})


def message_event(event_id="Ev01", **event) -> dict:
    base = {"type": "message", "user": "U03INITECH", "text": "what do we owe?",
            "channel": "C0SHARED", "ts": "1790000000.000100", "team": "T0INITECH"}
    return {"type": "event_callback", "event_id": event_id, "team_id": "T0NORTHWIND",
            "event": {**base, **event}}


class Assistant:
    """Stands in for Rasa: records what it was told, answers with one line."""

    def __init__(self):
        self.heard: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.heard.append(message)
        await message.output_channel.send_response(
            message.sender_id, {"text": f"You said: {message.text}"})


@pytest.fixture
def slack():
    with FakeSlackAPI(TOKEN) as api:
        yield api


@pytest.fixture
def channel(tmp_path, demo_db, slack):
    settings = load_settings({"AR_STATE_DIR": str(tmp_path), "SLACK_BOT_TOKEN": TOKEN,
                              "SLACK_SIGNING_SECRET": SECRET,
                              "SLACK_API_BASE_URL": slack.base_url})
    return SlackCustomerInput(settings)


def deliver(channel, *requests) -> tuple[list[int], Assistant]:
    assistant = Assistant()

    async def run():
        statuses = [(await channel.receive(r, assistant)).status for r in requests]
        await channel.wait_for_answers()
        return statuses

    return asyncio.run(run()), assistant


def test_a_customer_message_is_acknowledged_and_answered_in_its_thread(channel, slack):
    [status], assistant = deliver(channel, signed(message_event()))
    assert status == 200
    [heard] = assistant.heard
    assert (heard.sender_id, heard.input_channel, heard.text) == (
        "U03INITECH", "slack", "what do we owe?")
    assert heard.metadata["slack"]["channel"] == "C0SHARED"
    assert [(p.channel, p.thread_ts, p.text) for p in slack.posts()] == [
        ("C0SHARED", "1790000000.000100", "You said: what do we owe?")]


@pytest.mark.parametrize("forge", [
    lambda: signed(message_event(), secret="not-the-secret"),
    lambda: signed(message_event(), age_seconds=6 * 60),
    lambda: SignedRequest(json.dumps(message_event()).encode()),
    lambda: signed(message_event(), **{"X-Slack-Request-Timestamp": "yesterday"}),
], ids=["forged", "stale", "unsigned", "bad-timestamp"])
def test_forged_stale_or_unsigned_requests_are_refused_and_never_heard(channel, slack,
                                                                       forge):
    [status], assistant = deliver(channel, forge())
    assert status == 403 and assistant.heard == [] and slack.posts() == []


def test_without_slack_settings_every_request_is_refused(tmp_path, demo_db):
    channel = SlackCustomerInput(load_settings({"AR_STATE_DIR": str(tmp_path)}))
    [status], assistant = deliver(channel, signed(message_event()))
    assert status == 403 and assistant.heard == []


def test_the_url_verification_challenge_is_answered(channel):
    async def run():
        return await channel.receive(signed({"type": "url_verification", "challenge": "abc"}),
                                     Assistant())

    reply = asyncio.run(run())
    assert reply.status == 200 and json.loads(reply.body) == {"challenge": "abc"}


def test_slack_retries_of_an_event_are_acknowledged_but_answered_once(channel, slack):
    statuses, assistant = deliver(
        channel, signed(message_event()),
        signed(message_event(), **{"X-Slack-Retry-Num": "1",
                                   "X-Slack-Retry-Reason": "http_timeout"}))
    assert statuses == [200, 200]
    assert len(assistant.heard) == 1 and len(slack.posts()) == 1


def test_a_mention_that_is_also_a_message_is_answered_once(channel, slack):
    statuses, assistant = deliver(
        channel, signed(message_event("Ev01", text="<@U0ARBOT> what do we owe?")),
        signed(message_event("Ev02", type="app_mention", text="<@U0ARBOT> what do we owe?")))
    assert statuses == [200, 200]
    assert [m.text for m in assistant.heard] == ["what do we owe?"]


@pytest.mark.parametrize("payload", [
    message_event(user=None), message_event(text=None),
    message_event(subtype="message_changed"), message_event(bot_id="B0ARBOT"),
    message_event(type="reaction_added"), {"type": "event_callback"}, b"not json", b"[1, 2]",
], ids=["no-user", "no-text", "edit", "bot", "reaction", "no-event", "not-json", "list"])
def test_events_that_are_not_a_question_are_answered_cleanly_and_not_heard(channel, slack,
                                                                          payload):
    [status], assistant = deliver(channel, signed(payload))
    assert status in (200, 400) and assistant.heard == [] and slack.posts() == []


def test_an_unknown_slack_user_with_a_confirmed_contact_email_is_that_contact(
        channel, slack, demo_db):
    slack.users["U05ACMEBOB"] = SlackUser("bob.smith@acme.example", email_confirmed=True)
    deliver(channel, signed(message_event(user="U05ACMEBOB")))
    with demo_db.session() as session:
        caller = identify(session, "U05ACMEBOB", "slack", channel.app.now())
    assert caller.contact_name == "Bob Smith"


def test_an_unconfirmed_email_recognises_nobody(channel, slack, demo_db):
    slack.users["U06GLOBEX"] = SlackUser("k.weber@globex.example", email_confirmed=False)
    [status], assistant = deliver(channel, signed(message_event(user="U06GLOBEX")))
    assert status == 200 and len(assistant.heard) == 1
    with demo_db.session() as session:
        assert identify(session, "U06GLOBEX", "slack", channel.app.now()) is None


def test_a_known_slack_user_is_not_looked_up(channel, slack):
    deliver(channel, signed(message_event()))
    assert slack.user_lookups == []


def test_a_numbered_choice_is_sent_as_the_choice_it_picks(channel, slack):
    async def offers_choices(message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, {
            "text": "Which one?", "buttons": [{"title": "Pricing", "payload": "/pricing"},
                                              {"title": "Damaged", "payload": "/damaged"}]})

    async def run():
        await channel.receive(signed(message_event()), offers_choices)
        await channel.wait_for_answers()

    asyncio.run(run())
    assert "1. Pricing\n2. Damaged" in slack.posts()[0].text
    _, assistant = deliver(channel, signed(message_event("Ev02", text="2",
                                                         ts="1790000000.000200")))
    assert [m.text for m in assistant.heard] == ["/damaged"]


def test_a_file_shared_without_a_word_gets_the_text_only_reply_in_its_thread(channel, slack):
    event = shapes.file_share("U03INITECH", "", "C0SHARED")
    [status], assistant = deliver(channel, signed(shapes.envelope(event)))
    assert status == 200 and assistant.heard == []
    assert [(p.channel, p.thread_ts, p.text) for p in slack.posts()] == [
        ("C0SHARED", event["ts"], "Sorry, I can only read text. Please type your question.")]


def test_a_file_shared_with_a_comment_is_answered_on_its_comment(channel, slack):
    event = shapes.file_share("U03INITECH", "here is our remittance", "C0SHARED")
    [status], assistant = deliver(channel, signed(shapes.envelope(event)))
    assert [m.text for m in assistant.heard] == ["here is our remittance"]
    assert [p.text for p in slack.posts()] == ["You said: here is our remittance"]


def test_the_text_only_reply_is_in_the_contacts_language(channel, slack):
    slack.users["U07LUCIA"] = SlackUser("lucia.fernandez@soylent.example", email_confirmed=True)
    deliver(channel, signed(shapes.envelope(shapes.file_share("U07LUCIA", "", "C0SOYLENT"))))
    assert [p.text for p in slack.posts()] == [
        "Lo siento, solo puedo leer texto. Escriba su pregunta, por favor."]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"{}",
                                  b'{"type": "event_callback", "event_id": "Ev9"}',
                                  b'{"type": "event_callback", "event": {"user": "U1"}}'],
                         ids=["not-json", "list", "string", "no-type", "no-event",
                              "event-without-type"])
def test_what_is_not_an_events_api_request_is_a_bad_request(channel, slack, body):
    [status], assistant = deliver(channel, signed(body))
    assert status == 400 and assistant.heard == [] and slack.posts() == []
