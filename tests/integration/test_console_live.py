"""The console over what the real Rasa server stored: a customer talks to the assistant
started as `make run` starts it (console included), and a manager finds the conversation,
with the intents, the dispute it opened and the handoff, in the console."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import requests

from bot.settings import PROJECT_ROOT
from tests.integration.chat import visitor

pytestmark = pytest.mark.servers


def test_a_real_conversation_shows_up_with_its_intents_records_and_handoff(assistant):
    jane = visitor(assistant)
    jane.says("what do we owe")
    jane.says("ACME-001")
    jane.says("INV-2026-0101")
    jane.says("I want to dispute an invoice")
    jane.says("INV-2026-0203")
    jane.says("2")
    jane.says("all")
    jane.says("we ordered 10 units and were billed for 12")
    opened = jane.says("yes")  # the summary is confirmed before anything is recorded
    dispute = re.search(r"DSP-[2-9A-HJ-NP-Z]{6}", opened).group(0)
    handoff = re.search(r"HND-[2-9A-HJ-NP-Z]{6}", jane.says("I want to talk to a person")).group(0)
    visitor(assistant).says("zqxj vlorp kwyth")  # nothing the model knows

    env = {**os.environ, "AR_STATE_DIR": str(assistant.state_dir),
           "CONSOLE_PORT": str(assistant.console_port)}
    added = subprocess.run([sys.executable, "-m", "bot", "console", "add-user", "maya", "--role",
                            "manager"], input="maya-live-password-1\n", text=True, env=env,
                           cwd=PROJECT_ROOT, capture_output=True, timeout=120)
    assert added.returncode == 0, added.stderr
    url = f"http://127.0.0.1:{assistant.console_port}"
    http = requests.Session()
    token = re.search(r'name="csrf" value="([^"]+)"', http.get(url + "/login").text).group(1)
    http.post(url + "/login", data={"csrf": token, "username": "maya",
                                    "password": "maya-live-password-1"})
    found = http.get(url + "/conversations", params={"q": "billed units", "customer": "ACME-001"}).text
    assert found.count("<tr data-conversation") == 1 and "handed off" in found
    page = http.get(url + f"/conversations/by-id/{jane.sender}").text
    assert "I want to dispute an invoice" in page and "intent <b>open_dispute</b> (" in page
    assert f'id="record-{dispute}"' in page and f'id="record-{handoff}"' in page
    assert "customer asked" in page  # the handoff timeline's reason
    assert page.index("what do we owe") < page.index("I want to talk to a person")
    inbox = http.get(url + "/inbox").text
    item = inbox[inbox.index("zqxj vlorp kwyth"):].split("</li>")[0]
    assert "nlu_fallback" in item and item.count('class="likely"') >= 1
