"""The web chat over HTTP against the real servers (started like `make run`, with the
repo's credentials.yml): one cookie jar per visitor, as a browser keeps it."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.request
from typing import Any, Optional

import pytest

from integrations.webchat_session import COOKIE_NAME
from tests.integration.test_conversation import verify_as_acme

pytestmark = pytest.mark.servers

# The `assistant` fixture (real Rasa and action servers) comes from tests/integration/conftest.py.


class WebVisitor:
    """One browser: its own cookie jar, talking to /webhooks/webchat/."""

    def __init__(self, settings):
        self.base = f"http://127.0.0.1:{settings.rasa_port}/webhooks/webchat/"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, body: Optional[bytes] = None) -> tuple[int, Any, dict]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        req = urllib.request.Request(self.base + path, body, headers)
        try:
            with self.opener.open(req, timeout=60) as response:
                status, raw, found = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, found = error.code, error.read(), error.headers
        content_type = found.get("Content-Type", "")
        return status, json.loads(raw) if "json" in content_type else raw.decode(), found

    def post(self, payload: Any) -> tuple[int, Any]:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        status, data, _ = self.request("message", raw)
        return status, data

    def says(self, text: str, **extra: Any) -> str:
        status, data = self.post({"text": text, **extra})
        assert status == 200, data
        return "\n".join(m.get("text", "") for m in data["messages"])

    def history(self) -> list[dict]:
        status, data, _ = self.request("history")
        assert status == 200
        return data["messages"]

    @property
    def cookie(self) -> Optional[http.cookiejar.Cookie]:
        return next((c for c in self.jar if c.name == COOKIE_NAME), None)


def verified_balance(visitor: WebVisitor) -> str:
    """Ask the balance, verify as Acme (asked for first, no figure before): the reply."""
    return verify_as_acme(visitor, "what's our balance?")


def test_a_new_visitor_gets_the_page_and_a_session_cookie_scripts_cannot_read(assistant):
    visitor = WebVisitor(assistant)
    status, page, headers = visitor.request("")
    assert status == 200 and 'id="composer"' in page and "webchat.js" in page
    assert "://" not in page  # everything it loads comes from this server
    cookie = visitor.cookie
    assert cookie is not None and cookie.has_nonstandard_attr("HttpOnly")
    assert "SameSite=Strict" in headers["Set-Cookie"]
    status, script, headers = visitor.request("webchat.js")
    assert status == 200 and "javascript" in headers["Content-Type"] and "fetch(" in script


def test_the_balance_is_shown_only_after_verification_and_the_history_keeps_it(assistant):
    visitor = WebVisitor(assistant)
    reply = verified_balance(visitor)
    assert "verified for Acme Corporation" in reply and "$16,225.50 open" in reply
    history = visitor.history()
    assert history[0] == {"sender": "user", "text": "what's our balance?"}
    assert [m["text"] for m in history if m["sender"] == "user"] == [
        "what's our balance?", "ACME-001", "INV-2026-0101"]
    assert any("$16,225.50" in m.get("text", "") for m in history if m["sender"] == "bot")
    # the same browser later (a reload) goes on verified
    reply = visitor.says("what's the status of INV-2026-0101")
    assert "INV-2026-0101" in reply and "confirm who you are" not in reply


def test_a_tampered_cookie_starts_a_new_unverified_conversation(assistant):
    visitor = WebVisitor(assistant)
    verified_balance(visitor)
    cookie = visitor.cookie
    conversation, issued, mac = cookie.value.split(".")
    cookie.value = f"{conversation}.{int(issued) + 1}.{mac}"
    assert visitor.history() == []
    reply = visitor.says("what's our balance?")
    assert "confirm who you are" in reply and "$" not in reply
    assert visitor.cookie.value.split(".")[0] != conversation


def test_a_sender_named_in_the_body_is_ignored(assistant):
    victim = WebVisitor(assistant)
    verified_balance(victim)
    victim_id = victim.cookie.value.split(".")[0]
    intruder = WebVisitor(assistant)
    reply = intruder.says("what's our balance?", sender=victim_id)
    assert "confirm who you are" in reply and "16,225.50" not in reply
    status, data = intruder.post({"text": "what's our balance?", "sender": victim_id,
                                  "sender_id": victim_id, "input_channel": "slack"})
    assert status == 200 and "16,225.50" not in json.dumps(data)
    assert all("16,225.50" not in m.get("text", "") for m in intruder.history())


@pytest.mark.parametrize("body, status, says", [
    ({"text": ""}, 400, "empty"),
    ({"text": "   "}, 400, "empty"),
    (b"this is not json", 400, "JSON"),
    ({"text": "a" * 2001}, 413, "too long"),
    (json.dumps({"text": "a" * 3_000_000}).encode(), 413, "too long"),
])
def test_bad_messages_get_a_clear_json_error_never_a_500(assistant, body, status, says):
    answer_status, data = WebVisitor(assistant).post(body)
    assert answer_status == status
    assert says in data["error"]
