"""Signing webhooks as Twilio and Slack sign them, so the benchmark's simulated customers
pass the same checks real deliveries pass. Twilio's documented algorithm
(X-Twilio-Signature): the full URL it called, then every posted parameter sorted by name (a
repeated name by value), each as name followed by value; HMAC-SHA1 of that under the
account's auth token, in Base64. Slack's (X-Slack-Signature): "v0=" and the hex HMAC-SHA256
of "v0:{timestamp}:{body}" under the app's signing secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Iterable


def twilio_signature(auth_token: str, url: str, pairs: Iterable[tuple[str, str]]) -> str:
    """The X-Twilio-Signature of a form post of pairs (name, value) to url."""
    signed = url + "".join(name + value for name, value in sorted(set(pairs)))
    digest = hmac.new(auth_token.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def slack_signature(signing_secret: str, timestamp: str, body: str) -> str:
    """The X-Slack-Signature of body sent at timestamp (X-Slack-Request-Timestamp)."""
    signed = f"v0:{timestamp}:{body}".encode("utf-8")
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
