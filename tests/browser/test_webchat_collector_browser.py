"""The web chat page in headless chromium shows a reply from a person on the AR team as it
arrives (the handoff relay records it in the conversation), without a reload, with their
name."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from integrations.webchat_session import COOKIE_NAME, Sessions, session_secret

pytestmark = pytest.mark.servers

# `browser` (chromium), `chat_url` and `assistant` (the real servers): tests/browser/conftest.py.


def relay_as_collector(settings, conversation_id: str, name: str, text: str) -> None:
    """What the handoff relay does with a collector's thread reply: a bot event from that
    person, appended through Rasa's HTTP API."""
    body = json.dumps([{"event": "bot", "text": text, "metadata": {"collector": name}}])
    request = urllib.request.Request(
        f"http://127.0.0.1:{settings.rasa_port}/conversations/{conversation_id}"
        f"/tracker/events?token={settings.rasa_auth_token}", body.encode(),
        {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200


def test_a_collectors_reply_appears_on_the_open_page_with_their_name(browser, chat_url,
                                                                    assistant):
    context = browser.new_context(locale="de-DE")
    page: Page = context.new_page()
    page.goto(chat_url)
    page.fill("#text", "hallo")
    page.press("#text", "Enter")
    expect(page.locator(".msg.bot")).to_have_count(1, timeout=90_000)
    cookie = next(c for c in context.cookies() if c["name"] == COOKIE_NAME)
    sessions = Sessions(session_secret(assistant), assistant.webchat_session_hours)
    conversation_id = sessions.resume_or_start(cookie["value"], time.time()).conversation_id

    relay_as_collector(assistant, conversation_id, "Kai Berg", "Guten Tag, ich bin für Sie da.")
    reply = page.locator(".msg.collector")
    expect(reply).to_contain_text("Guten Tag, ich bin für Sie da.", timeout=15_000)
    expect(reply.locator(".name")).to_have_text("Kai Berg · Debitorenteam")
    expect(page.locator(".msg.user")).to_have_count(1)  # nothing drawn twice
    context.close()
