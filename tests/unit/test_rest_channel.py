"""The checked REST channel (integrations/rest_channel.py) and the check of Slack's
interactive payloads (integrations/handoff_slack.py) without servers: what gets a 4xx, and
that the body never chooses the channel a conversation is identified by."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from sanic.exceptions import InvalidUsage

from integrations.rest_channel import CheckedRestInput

channel = CheckedRestInput()


def request(payload):
    return SimpleNamespace(json=payload)


@pytest.mark.parametrize("payload", [None, [], "text", 3, {"message": "hi"},
                                     {"sender": "", "message": "hi"},
                                     {"sender": ["me"], "message": "hi"},
                                     {"sender": "x" * 256, "message": "hi"}])
def test_a_body_without_a_sender_string_is_a_bad_request(payload):
    with pytest.raises(InvalidUsage):
        asyncio.run(channel._extract_sender(request(payload)))


@pytest.mark.parametrize("payload", [None, {"sender": "me"}, {"sender": "me", "message": 1},
                                     {"sender": "me", "message": None}])
def test_a_body_without_a_message_string_is_a_bad_request(payload):
    with pytest.raises(InvalidUsage):
        channel._extract_message(request(payload))


def test_a_huge_message_is_still_a_message():
    assert channel._extract_message(request({"sender": "me", "message": "a " * 9000})) == \
        "a " * 9000


def test_a_body_claiming_another_channel_stays_on_rest():
    claimed = request({"sender": "+14155550101", "message": "balance",
                       "input_channel": "twilio"})
    assert channel._extract_input_channel(claimed) == "rest"
    assert asyncio.run(channel._extract_sender(claimed)) == "+14155550101"
    assert channel._extract_message(claimed) == "balance"


@pytest.mark.parametrize("body, content_type, shaped", [
    (b'payload=%7B%22type%22%3A%22block_actions%22%7D', "application/x-www-form-urlencoded",
     True),
    (b'{"type": "block_actions"}', "application/json", True),
    (b"payload=", "application/x-www-form-urlencoded", False),
    (b"{", None, False), (b"\xff", None, False), (b"[1]", "application/json", False),
    (b'payload=%5B%5D', "application/x-www-form-urlencoded", False),
])
def test_only_a_slack_interactive_payload_goes_on_to_slack_bolt(body, content_type, shaped):
    from integrations.handoff_slack import interactive_payload

    assert interactive_payload(body, content_type) is shaped
