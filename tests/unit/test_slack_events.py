"""Which Slack events carry a customer's question, and where the answer goes."""

from __future__ import annotations

import pytest

from integrations.slack_events import customer_message, verified_email


def event_callback(**event) -> dict:
    base = {"type": "message", "user": "U03INITECH", "text": "what do we owe?",
            "channel": "C0SHARED", "ts": "1790000000.000100", "team": "T0INITECH"}
    return {"type": "event_callback", "event_id": "Ev01", "team_id": "T0NORTHWIND",
            "authorizations": [{"user_id": "U0ARBOT", "is_bot": True}],
            "event": {**base, **event}}


def test_a_channel_message_is_answered_in_a_thread_started_on_it():
    message = customer_message(event_callback())
    assert (message.user, message.text, message.channel) == (
        "U03INITECH", "what do we owe?", "C0SHARED")
    assert message.thread_ts == "1790000000.000100"
    assert message.metadata()["slack"] == {
        "channel": "C0SHARED", "thread_ts": "1790000000.000100", "ts": "1790000000.000100",
        "team": "T0INITECH", "user": "U03INITECH"}


def test_a_message_in_a_thread_is_answered_in_that_thread():
    message = customer_message(event_callback(ts="1790000000.000200",
                                              thread_ts="1790000000.000100"))
    assert message.thread_ts == "1790000000.000100"


def test_a_mention_and_the_same_message_share_one_delivery_id():
    mention = customer_message(event_callback(type="app_mention",
                                              text="<@U0ARBOT> what do we owe?"))
    plain = customer_message(event_callback(text="<@U0ARBOT> what do we owe?"))
    assert mention.text == plain.text == "what do we owe?"
    assert mention.delivery_id == plain.delivery_id


@pytest.mark.parametrize("payload", [
    event_callback(subtype="message_changed"),
    event_callback(subtype="bot_message", bot_id="B01"),
    event_callback(bot_id="B0ARBOT"),
    event_callback(user="U0ARBOT"),
    event_callback(user=None),
    event_callback(text=None),
    event_callback(text="<@U0ARBOT>"),
    event_callback(channel=None),
    event_callback(type="reaction_added"),
    {"type": "event_callback", "event_id": "Ev02"},
    {"type": "event_callback", "event": "not an object"},
    {"type": "app_rate_limited"},
])
def test_edits_bots_the_app_itself_and_incomplete_events_are_not_questions(payload):
    assert customer_message(payload) is None


def test_only_an_email_slack_confirmed_is_trusted():
    def info(confirmed, email="Bob.Smith@acme.example"):
        return {"ok": True, "user": {"id": "U9", "is_email_confirmed": confirmed,
                                     "profile": {"email": email}}}

    assert verified_email(info(True)) == "bob.smith@acme.example"
    assert verified_email(info(False)) is None
    assert verified_email({"ok": True, "user": {"id": "U9", "profile": {"email": "x@y"}}}) is None
    assert verified_email(info(True, email="")) is None
    assert verified_email({"ok": False, "error": "user_not_found"}) is None
