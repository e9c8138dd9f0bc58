"""What the web chat accepts from the page, and how the assistant's messages and the
conversation so far are handed to it."""

from __future__ import annotations

import json

import pytest

from integrations.webchat_messages import (MAX_TEXT_CHARS, Refused, bot_message,
                                           parse_message, transcript)


def body(payload) -> bytes:
    return json.dumps(payload).encode()


def test_a_message_is_its_text_and_nothing_the_body_says_about_the_sender():
    incoming = parse_message(body({"text": "  what's our balance?\n", "sender": "someone"}))
    assert incoming.text == "what's our balance?"
    assert incoming.metadata == {}
    assert "someone" not in repr(incoming)


def test_a_button_press_keeps_its_title_for_the_transcript():
    incoming = parse_message(body({"text": "/affirm", "display": "Yes, please"}))
    assert (incoming.text, incoming.metadata) == ("/affirm", {"display": "Yes, please"})


@pytest.mark.parametrize("raw, fragment", [
    (body({"text": ""}), "empty"),
    (body({"text": " \n\t "}), "empty"),
    (body({"message": "hi"}), '"text"'),
    (body({"text": 42}), '"text"'),
    (body(["hi"]), '"text"'),
    (b"text=hi", "JSON"),
    (b"", "JSON"),
    (b"\xff\xfe{", "JSON"),
])
def test_what_is_not_a_message_is_refused_with_400_and_a_reason(raw, fragment):
    with pytest.raises(Refused) as refused:
        parse_message(raw)
    assert refused.value.status == 400
    assert fragment in refused.value.message


def test_a_text_over_the_limit_is_refused_with_413_and_says_the_limit():
    assert parse_message(body({"text": "a" * MAX_TEXT_CHARS})).text == "a" * MAX_TEXT_CHARS
    for raw in (body({"text": "a" * (MAX_TEXT_CHARS + 1)}), body({"text": "a" * 500_000})):
        with pytest.raises(Refused) as refused:
            parse_message(raw)
        assert refused.value.status == 413
        assert "2000 characters" in refused.value.message


def test_bot_messages_keep_text_buttons_images_and_documents_only():
    raw = {"recipient_id": "webchat-secret-id", "text": "Pick one <b>now</b>",
           "buttons": [{"title": "Pay now", "payload": "/pay"}, {"payload": "/later"}, "x"],
           "image": "https://example.com/chart.png",
           "attachment": {"url": "https://example.com/INV-1.pdf"}}
    assert bot_message(raw) == {
        "text": "Pick one <b>now</b>",
        "buttons": [{"title": "Pay now", "payload": "/pay"},
                    {"title": "/later", "payload": "/later"}],
        "image": "https://example.com/chart.png",
        "attachment": "https://example.com/INV-1.pdf"}
    assert bot_message({"custom": {"text": "from custom"}}) == {"text": "from custom"}
    assert bot_message({"recipient_id": "x", "text": None}) == {}


def test_the_transcript_has_user_and_bot_messages_in_order_and_button_titles():
    events = [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "user", "text": "what's our balance?", "metadata": {}},
        {"event": "bot", "text": "Please confirm who you are.",
         "data": {"buttons": [{"title": "OK", "payload": "/affirm"}]}},
        {"event": "slot", "name": "language", "value": "en"},
        {"event": "user", "text": "/affirm", "metadata": {"display": "OK"}},
        {"event": "bot", "text": None, "data": {"attachment": "https://x.example/a.pdf"}},
        {"event": "bot", "text": None, "data": {}},
    ]
    assert transcript(events) == [
        {"sender": "user", "text": "what's our balance?"},
        {"sender": "bot", "text": "Please confirm who you are.",
         "buttons": [{"title": "OK", "payload": "/affirm"}]},
        {"sender": "user", "text": "OK"},
        {"sender": "bot", "attachment": "https://x.example/a.pdf"},
    ]
