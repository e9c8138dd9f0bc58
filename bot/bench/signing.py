"""Signing a webhook as Twilio signs it (X-Twilio-Signature), so the benchmark's simulated
phones pass the same check real Twilio posts pass. Twilio's documented algorithm: the full
URL it called, then every posted parameter sorted by name (a repeated name by value), each
as name followed by value; HMAC-SHA1 of that under the account's auth token, in Base64."""

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
