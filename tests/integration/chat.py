"""Talking to the real assistant over Rasa's REST channel, as a web visitor does."""

from __future__ import annotations

import json
import urllib.request
import uuid


class Customer:
    """One person chatting over the REST channel."""

    def __init__(self, settings, sender: str):
        self.settings, self.sender = settings, sender

    def says(self, text: str) -> str:
        body = json.dumps({"sender": self.sender, "message": text}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.settings.rasa_port}/webhooks/rest/webhook", body,
            {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return "\n".join(m.get("text", "") for m in json.load(response))

    def transcript(self) -> list[dict]:
        url = (f"http://127.0.0.1:{self.settings.rasa_port}/conversations/{self.sender}"
               f"/tracker?token={self.settings.rasa_auth_token}")
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.load(response)["events"]


def visitor(settings) -> Customer:
    return Customer(settings, f"web-{uuid.uuid4().hex[:8]}")
