"""The web chat endpoints without Rasa: the session cookie they set, the conversation they
hand to the assistant (never one the visitor names), and their answers to bad input."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Optional

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import load_settings
from integrations.webchat_channel import WebchatInput
from integrations.webchat_session import COOKIE_NAME


class Assistant:
    """Stands in for Rasa: records what it was told, answers with one line and a button."""

    def __init__(self, fail: bool = False):
        self.told: list[UserMessage] = []
        self.fail = fail

    async def __call__(self, message: UserMessage) -> None:
        if self.fail:
            raise RuntimeError("the model is not loaded")
        self.told.append(message)
        await message.output_channel.send_text_with_buttons(
            message.sender_id, f"You said: {message.text}",
            [{"title": "Yes", "payload": "/affirm"}])


class Trackers:
    """A tracker store holding one conversation."""

    def __init__(self, tracker: DialogueStateTracker):
        self.tracker = tracker

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        return self.tracker if sender_id == self.tracker.sender_id else None


def request(body=b"", cookie: Optional[str] = None, path="/webhooks/webchat/message",
            trackers: Optional[Trackers] = None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    agent = SimpleNamespace(tracker_store=trackers) if trackers else None
    return SimpleNamespace(body=raw, path=path, scheme="http",
                           cookies={COOKIE_NAME: cookie} if cookie else {},
                           app=SimpleNamespace(ctx=SimpleNamespace(agent=agent)))


def set_cookie(reply) -> Optional[str]:
    headers = [str(c) for c in reply.headers.getall("Set-Cookie", [])]
    return headers[0] if headers else None


def cookie_value(reply) -> str:
    return set_cookie(reply).split(";")[0].split("=", 1)[1]


@pytest.fixture
def channel(tmp_path, db) -> WebchatInput:  # db: the ledger keeps rate counts
    return WebchatInput(load_settings({"AR_STATE_DIR": str(tmp_path),
                                       "WEBCHAT_SECRET": "unit-secret"}))


def send(channel, assistant, body, cookie=None):
    reply = asyncio.run(channel.message(request(body, cookie), assistant))
    return reply, json.loads(reply.body)


def test_a_new_visitor_gets_an_httponly_strict_cookie_with_the_page(channel):
    reply = asyncio.run(channel.page(request(path="/webhooks/webchat/")))
    header = set_cookie(reply)
    assert reply.status == 200 and b'id="composer"' in reply.body
    assert "HttpOnly" in header and "SameSite=Strict" in header
    assert "Path=/webhooks/webchat" in header and "Max-Age=43200" in header
    assert "default-src 'self'" in reply.headers["Content-Security-Policy"]


def test_the_page_without_its_trailing_slash_redirects_to_it(channel):
    reply = asyncio.run(channel.page(request(path="/webhooks/webchat")))
    assert reply.status == 302 and reply.headers["Location"] == "/webhooks/webchat/"


def test_the_conversation_is_the_cookies_never_the_one_the_body_names(channel):
    assistant = Assistant()
    reply, data = send(channel, assistant, {"text": "hello", "sender": "victim-id"})
    cookie = cookie_value(reply)
    assert data == {"messages": [{"text": "You said: hello",
                                  "buttons": [{"title": "Yes", "payload": "/affirm"}]}]}
    again, _ = send(channel, assistant, {"text": "again", "sender": "victim-id"}, cookie)
    first, second = assistant.told
    assert first.sender_id == second.sender_id != "victim-id"
    assert first.sender_id.startswith("webchat-")
    assert first.input_channel == second.input_channel == "webchat"
    assert set_cookie(again) is None  # the session goes on under the same cookie


def test_a_tampered_cookie_starts_a_new_conversation(channel):
    assistant = Assistant()
    reply, _ = send(channel, assistant, {"text": "hello"})
    cookie = cookie_value(reply)
    conversation, issued, mac = cookie.split(".")
    tampered = f"{conversation}x.{issued}.{mac}"
    reply, _ = send(channel, assistant, {"text": "hello"}, tampered)
    assert set_cookie(reply) is not None
    assert assistant.told[0].sender_id != assistant.told[1].sender_id


def test_a_button_press_reaches_the_assistant_as_its_payload_with_its_title(channel):
    assistant = Assistant()
    send(channel, assistant, {"text": "/affirm", "display": "Yes"})
    assert assistant.told[0].text == "/affirm"
    assert assistant.told[0].metadata == {"display": "Yes"}


@pytest.mark.parametrize("body, status", [
    ({"text": "   "}, 400), (b"not json", 400), ({"text": "x" * 2001}, 413),
    (b"{" * 100_000, 413),
], ids=["blank", "not-json", "too-long", "huge-body"])
def test_bad_input_gets_a_json_error_and_never_reaches_the_assistant(channel, body, status):
    assistant = Assistant()
    reply, data = send(channel, assistant, body)
    assert reply.status == status and data["error"]
    assert assistant.told == []


def test_an_assistant_failure_is_a_503_the_page_can_show_not_a_500(channel):
    reply, data = send(channel, Assistant(fail=True), {"text": "hello"})
    assert reply.status == 503 and "try again" in data["error"]


def test_history_is_the_cookies_conversation_only(channel):
    reply, _ = send(channel, Assistant(), {"text": "hello"})
    cookie = cookie_value(reply)
    conversation_id = cookie.split(".")[0]
    tracker = DialogueStateTracker.from_events(conversation_id, [
        UserUttered("hello", input_channel="webchat"),
        BotUttered("Hi <b>there</b>", data={"image": "https://example.com/a.png"}),
    ])
    trackers = Trackers(tracker)
    mine = asyncio.run(channel.history(request(cookie=cookie, trackers=trackers)))
    assert json.loads(mine.body) == {"messages": [
        {"sender": "user", "text": "hello"},
        {"sender": "bot", "text": "Hi <b>there</b>", "image": "https://example.com/a.png"}]}
    stranger = asyncio.run(channel.history(request(trackers=trackers)))
    assert json.loads(stranger.body) == {"messages": []}
    assert set_cookie(stranger) is not None
