"""Web chat sessions: the server picks each conversation id and hands it to the browser
in a cookie signed with HMAC-SHA256, so a visitor can neither choose nor forge one.

Cookie value: `<conversation id>.<issued at, unix seconds>.<hex HMAC of both>`. A missing,
malformed, tampered or expired value reads as no session (the caller starts a new one).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import NamedTuple, Optional

from bot.settings import Settings, kept_secret

COOKIE_NAME = "ar_webchat"
COOKIE_PATH = "/webhooks/webchat"
SECRET_FILE = "webchat_secret"
ISSUED_AT = re.compile(r"[0-9]{1,12}")


def new_conversation_id() -> str:
    return "webchat-" + secrets.token_urlsafe(24)


def _mac(secret: bytes, conversation_id: str, issued_at: int) -> str:
    message = f"{conversation_id}.{issued_at}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign(secret: bytes, conversation_id: str, issued_at: int) -> str:
    """The cookie value for a conversation issued at issued_at (unix seconds)."""
    return f"{conversation_id}.{issued_at}.{_mac(secret, conversation_id, issued_at)}"


def verified_conversation(secret: bytes, value: Optional[str], now: float,
                          max_age_seconds: float) -> Optional[str]:
    """The conversation id a cookie value vouches for, or None when it is missing,
    malformed, not signed with this secret, issued in the future or too old."""
    parts = (value or "").split(".")
    if len(parts) != 3 or not ISSUED_AT.fullmatch(parts[1]):
        return None
    conversation_id, issued_at, mac = parts[0], int(parts[1]), parts[2]
    if not conversation_id or not hmac.compare_digest(
            mac.encode(), _mac(secret, conversation_id, issued_at).encode()):
        return None
    if not now - max_age_seconds < issued_at <= now + 60:  # a minute of clock skew
        return None
    return conversation_id


def session_secret(settings: Settings) -> bytes:
    """WEBCHAT_SECRET, else a random secret kept in the state folder (owner-only)."""
    if settings.webchat_secret:
        return settings.webchat_secret.encode()
    return kept_secret(settings.state_dir / SECRET_FILE).encode()


class Session(NamedTuple):
    """The conversation of a request, and the cookie to set when it is a new one."""

    conversation_id: str
    new_cookie: Optional[str]


class Sessions:
    """Reads the conversation from a request's cookie or issues a new one."""

    def __init__(self, secret: bytes, session_hours: float):
        self._secret = secret
        self.max_age_seconds = int(session_hours * 3600)

    def __repr__(self) -> str:  # never show the secret
        return f"Sessions(max_age_seconds={self.max_age_seconds})"

    def resume_or_start(self, cookie_value: Optional[str], now: float) -> Session:
        conversation_id = verified_conversation(self._secret, cookie_value, now,
                                                self.max_age_seconds)
        if conversation_id:
            return Session(conversation_id, None)
        conversation_id = new_conversation_id()
        return Session(conversation_id, sign(self._secret, conversation_id, int(now)))
