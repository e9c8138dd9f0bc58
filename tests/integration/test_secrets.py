"""No secret on a command line or in a log: the servers started as `make run` starts them,
with every secret set, and what anyone on the machine can read (every process's command
line) and what the servers wrote, searched for each of them. The production topology
(PostgreSQL and Redis passwords too) is checked the same way in
tests/production/test_topology.py."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from unittest import mock

import pytest
from twilio.request_validator import RequestValidator

from tests.command_lines import every_command_line
from tests.fakes import slack_events as shapes

pytestmark = pytest.mark.servers

# The `assistant` fixture (real Rasa and action servers) comes from tests/integration/conftest.py.

SECRETS = {"TWILIO_AUTH_TOKEN": secrets.token_hex(16),
           "SLACK_SIGNING_SECRET": secrets.token_hex(16),
           "SLACK_BOT_TOKEN": "xoxb-" + secrets.token_hex(12),
           "WEBCHAT_SECRET": secrets.token_urlsafe(24)}


PUBLIC_BASE_URL = "https://ar.example.com"
NOWHERE = "http://127.0.0.1:9"  # nothing listens: every send fails, and is logged


@pytest.fixture(scope="module", autouse=True)
def every_secret_set():
    env = {**SECRETS, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
           "TWILIO_FROM_NUMBER": "+15005550006", "TWILIO_API_BASE_URL": NOWHERE,
           "SLACK_API_BASE_URL": NOWHERE + "/api/", "PUBLIC_BASE_URL": PUBLIC_BASE_URL}
    with mock.patch.dict(os.environ, env):
        yield


def api_status(settings, token: str | None) -> tuple[int, str]:
    query = f"?token={token}" if token is not None else ""
    try:
        with urllib.request.urlopen(
                f"http://127.0.0.1:{settings.rasa_port}/status{query}", timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def all_secrets(settings) -> dict[str, str]:
    return {**SECRETS, "RASA_AUTH_TOKEN": settings.rasa_auth_token}


def test_the_api_refuses_a_wrong_or_missing_token_and_accepts_the_right_one(assistant):
    wrong_status, wrong_page = api_status(assistant, "not-the-token")
    missing_status, _ = api_status(assistant, None)
    right_status, _ = api_status(assistant, assistant.rasa_auth_token)
    assert (wrong_status, missing_status, right_status) == (401, 401, 200)
    assert assistant.rasa_auth_token not in wrong_page


def test_no_secret_is_on_any_command_line(assistant):
    lines = every_command_line()
    rasa_servers = [pid for pid, line in lines.items()
                    if f"--port {assistant.rasa_port}" in line and "--enable-api" in line]
    assert rasa_servers, "the Rasa server of this test was not found among the processes"
    for name, value in all_secrets(assistant).items():
        showing = [pid for pid, line in lines.items() if value in line]
        assert showing == [], f"{name} is on the command line of process(es) {showing}"


def post(settings, path: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{settings.rasa_port}{path}", body,
                                     headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status
    except urllib.error.HTTPError as refused:
        return refused.code


def text_a_question_and_fail_to_answer(settings) -> None:
    """A signed Twilio webhook (and a forged one); the reply's send fails."""
    fields = {"MessageSid": "SM" + secrets.token_hex(16), "From": "+14155550101",
              "To": "+15005550006", "Body": "what do we owe?", "FromCity": ""}
    path = "/webhooks/twilio/webhook"
    signature = RequestValidator(SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(
        PUBLIC_BASE_URL + path, fields)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = urllib.parse.urlencode(fields).encode()
    assert post(settings, path, body, {**form, "X-Twilio-Signature": signature}) == 200
    assert post(settings, path, body, {**form, "X-Twilio-Signature": "Zm9yZ2Vk"}) == 403


def slack_a_question_and_fail_to_answer(settings) -> None:
    """A signed Slack event (and a forged one); the reply's post fails."""
    body = json.dumps(shapes.envelope(shapes.user_message(
        "U03INITECH", "what do we owe?", "C0SECRETS"))).encode()
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRETS["SLACK_SIGNING_SECRET"].encode(),
                                 f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts}
    path = "/webhooks/slack/webhook"
    assert post(settings, path, body, {**headers, "X-Slack-Signature": signature}) == 200
    assert post(settings, path, body, {**headers, "X-Slack-Signature": "v0=00"}) == 403


def test_no_secret_is_in_the_server_logs(assistant):
    api_status(assistant, "not-the-token")
    api_status(assistant, assistant.rasa_auth_token)
    text_a_question_and_fail_to_answer(assistant)
    slack_a_question_and_fail_to_answer(assistant)
    logs = sorted((assistant.state_dir / "logs").glob("*.log"))
    assert {p.name for p in logs} == {"rasa.log", "console.log"}  # the actions run in Rasa

    def logged() -> str:
        return "\n".join(p.read_text(errors="replace") for p in logs)

    deadline = time.monotonic() + 90  # Slack's answer is worked out in the background
    while not ("sms send to" in logged() and "slack send to" in logged()) \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    text = logged()
    assert "Rasa server is up and running" in text  # the log is the server's
    assert "sms send to" in text and "slack send to" in text  # both sends failed, logged
    for name, value in all_secrets(assistant).items():
        assert value not in text, f"{name} is in the server logs"
