"""Signed document links: bound to one document request, expiring, checked in constant
time. Revocation and "is this still the customer's document" are the ledger's part."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone

from bot.settings import Settings, kept_secret

SECRET_FILE = "document_link_secret"
LINK_PATH = "/webhooks/documents/d/"


class LinkRefused(ValueError):
    """reason: "invalid" (altered, guessed, truncated) or "expired"."""

    def __init__(self, reason: str, request_id: int | None = None):
        super().__init__(reason)
        self.reason, self.request_id = reason, request_id


def link_secret(settings: Settings) -> bytes:
    """DOCUMENT_LINK_SECRET, else a random one kept in the state folder (owner-only) and
    shared by the action server (which makes links) and the Rasa server (which opens them)."""
    if settings.documents.link_secret:
        return settings.documents.link_secret.encode()
    return kept_secret(settings.state_dir / SECRET_FILE).encode()


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _signature(secret: bytes, payload: str) -> str:
    digest = hmac.new(secret, payload.encode(), hashlib.sha256).digest()[:15]
    return base64.urlsafe_b64encode(digest).decode()


@dataclass(frozen=True)
class DocumentLink:
    request_id: int
    expires_at: datetime
    token: str

    def url(self, public_base_url: str) -> str:
        return public_base_url.rstrip("/") + LINK_PATH + self.token


def sign(secret: bytes, request_id: int, expires_at: datetime) -> DocumentLink:
    payload = f"{_b36(request_id)}.{_b36(int(expires_at.timestamp()))}"
    return DocumentLink(request_id, expires_at, f"{payload}.{_signature(secret, payload)}")


def verify(secret: bytes, token: str, now: datetime) -> int:
    """The document request a token names; LinkRefused when altered or expired."""
    parts = (token or "").split(".")
    if len(parts) != 3 or len(token) > 80:
        raise LinkRefused("invalid")
    payload = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_signature(secret, payload), parts[2]):
        raise LinkRefused("invalid")
    request_id, expires = int(parts[0], 36), int(parts[1], 36)
    if now >= datetime.fromtimestamp(expires, timezone.utc):
        raise LinkRefused("expired", request_id)
    return request_id
