"""Which Slack events carry a customer's question, what it says, and where the answer goes:
hand-made events, then the shapes Slack really sends."""

from __future__ import annotations

import pytest

from integrations.slack_events import NotAnEvent, check_shape, customer_message, verified_email
from tests.fakes import slack_events as shapes


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


# --- the shapes Slack really sends (tests/fakes/slack_events.py) --------------------------

PETER, SHARED = "U03INITECH", "C0SHARED"


def test_a_rich_text_message_is_read_from_its_text_with_slack_markup_undone():
    event = shapes.user_message(
        PETER, "<@U0ARBOT> is <http://inv-2026.example|inv-2026.example> paid? "
               "mail <mailto:ap@initech.example|ap@initech.example> &amp; <#C0GEN|general> "
               "&lt;urgent&gt; <!here>", SHARED)
    message = shapes_message(event)
    assert message.text == ("is inv-2026.example paid? mail ap@initech.example & #general "
                            "<urgent>")


def test_a_message_with_blocks_but_no_text_is_read_from_the_blocks():
    event = shapes.user_message(PETER, "", SHARED, blocks=shapes.rich_text(
        {"type": "user", "user_id": "U0ARBOT"}, {"type": "text", "text": " is "},
        {"type": "link", "url": "mailto:ap@initech.example", "text": "ap@initech.example"},
        {"type": "emoji", "name": "pray", "unicode": "1f64f"},
        {"type": "text", "text": " on file?"}))
    assert shapes_message(event).text == "is ap@initech.example on file?"


def test_a_file_with_a_comment_is_its_comment_and_a_file_alone_is_no_text():
    with_comment = shapes_message(shapes.file_share(PETER, "here is our remittance", SHARED))
    alone = shapes_message(shapes.file_share(PETER, "", SHARED))
    assert (with_comment.text, with_comment.has_files) == ("here is our remittance", True)
    assert (alone.text, alone.has_files) == ("", True)


def test_a_thread_reply_and_its_broadcast_are_answered_in_the_thread():
    reply = shapes.user_message(PETER, "and the credit note?", SHARED,
                                thread_ts="1790000000.000001")
    broadcast = {**reply, "subtype": "thread_broadcast", "ts": shapes.next_ts()}
    assert shapes_message(reply).thread_ts == "1790000000.000001"
    assert shapes_message(broadcast).thread_ts == "1790000000.000001"


def test_a_me_message_is_a_person_writing():
    event = {**shapes.user_message(PETER, "is waiting for the statement", SHARED),
             "subtype": "me_message"}
    assert shapes_message(event).text == "is waiting for the statement"


def test_a_slack_connect_message_is_from_the_writers_own_workspace():
    message = customer_message(shapes.envelope(
        shapes.slack_connect(PETER, "what do we owe?", SHARED), shared=True))
    assert (message.user, message.text, message.team) == (
        PETER, "what do we owe?", shapes.CUSTOMER_TEAM)


def test_a_mention_and_its_message_event_are_one_delivery():
    plain = shapes.user_message(PETER, "<@U0ARBOT> what do we owe?", SHARED)
    assert shapes_message(plain).delivery_id == shapes_message(
        shapes.app_mention(plain)).delivery_id


@pytest.mark.parametrize("event", [
    shapes.message_changed(PETER, "what do we owe", "what do we owe?", SHARED),
    shapes.message_deleted(PETER, "what do we owe", SHARED),
    shapes.bot_message("Reminder: month end", SHARED),
    shapes.our_own_post("Initech Ltd has $1.00 open.", SHARED),
    shapes.channel_join(PETER, SHARED),
    shapes.channel_leave(PETER, SHARED),
    shapes.channel_topic(PETER, "AR questions", SHARED),
], ids=["edited", "deleted", "bot_message", "our-own-post", "join", "leave", "topic"])
def test_edits_deletions_bots_our_posts_and_channel_notices_are_not_questions(event):
    assert customer_message(shapes.envelope(event)) is None


@pytest.mark.parametrize("payload", [[1, 2], "text", {}, {"type": 3},
                                     {"type": "event_callback"},
                                     {"type": "event_callback", "event": []},
                                     {"type": "event_callback", "event": {"user": "U1"}}])
def test_what_is_not_an_events_api_request_is_told_apart(payload):
    with pytest.raises(NotAnEvent):
        check_shape(payload)


def test_every_real_shape_is_an_events_api_request():
    for event in (shapes.user_message(PETER, "hi", SHARED), shapes.channel_join(PETER, SHARED),
                  shapes.message_deleted(PETER, "x", SHARED)):
        check_shape(shapes.envelope(event))
    check_shape({"type": "url_verification", "challenge": "abc", "token": "x"})


def shapes_message(event):
    return customer_message(shapes.envelope(event))
