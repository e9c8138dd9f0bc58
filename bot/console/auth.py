"""Console users and their logins: argon2 password hashes, roles, sessions whose cookie
token is stored only as a hash, a CSRF token per session, lockout after failures."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.console.audit import audit
from bot.console.models import ROLES, ConsoleSession, ConsoleUser

_hasher = PasswordHasher()
# Verified against when the user does not exist, so both cases take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 12

# What each role may do. Contact details (phones, emails, bank details) are masked for
# everyone without "see_contact_details".
PERMISSIONS = {
    "admin": {"view_transcripts", "export", "review", "dashboard", "erase",
              "see_contact_details", "audit"},
    "manager": {"view_transcripts", "export", "review", "dashboard"},
    "collector": {"dashboard"},
}


class UserError(ValueError):
    """A user cannot be created as asked; the message says why."""


def create_user(session: Session, username: str, role: str, password: str) -> ConsoleUser:
    username = username.strip()
    if not username or len(username) > 80 or not username.replace(".", "").replace("-", "").replace("_", "").replace("@", "").isalnum():
        raise UserError("a username is 1-80 letters, digits, dots, dashes, underscores or @")
    if role not in ROLES:
        raise UserError(f"the role is one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalars(select(ConsoleUser).where(ConsoleUser.username == username)).first():
        raise UserError(f"{username} exists already")
    user = ConsoleUser(username=username, role=role, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    audit(session, "cli", "user_created", username, {"role": role})
    return user


@dataclass(frozen=True)
class LoginResult:
    user: Optional[ConsoleUser]
    locked: bool = False


def authenticate(session: Session, username: str, password: str, now: datetime,
                 max_failures: int, lockout_minutes: int) -> LoginResult:
    """The user if the password is theirs and they are not locked out. A wrong password
    counts; max_failures in a row lock the account for lockout_minutes."""
    user = session.scalars(select(ConsoleUser).where(ConsoleUser.username == username.strip())).first()
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        audit(session, username.strip()[:80] or "?", "login_failed", None, {"why": "unknown user"})
        return LoginResult(None)
    if user.locked_until and user.locked_until > now:
        audit(session, user.username, "login_refused", None, {"why": "locked"})
        return LoginResult(None, locked=True)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        locked = user.failed_logins >= max_failures
        if locked:
            user.locked_until = now + timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
        audit(session, user.username, "login_failed", None, {"locked": locked})
        return LoginResult(None, locked=locked)
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    audit(session, user.username, "login", None, {})
    return LoginResult(user)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: ConsoleUser, now: datetime, hours: float) -> str:
    """A new login session; the token for the cookie (never stored as such)."""
    token = secrets.token_urlsafe(32)
    session.add(ConsoleSession(token_hash=_digest(token), user_id=user.id,
                               csrf_token=secrets.token_urlsafe(32), created_at=now,
                               expires_at=now + timedelta(hours=hours)))
    return token


@dataclass(frozen=True)
class Login:
    user_id: int
    username: str
    role: str
    csrf_token: str

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, set())


def current_login(session: Session, token: Optional[str], now: datetime) -> Optional[Login]:
    if not token:
        return None
    row = session.scalars(select(ConsoleSession).where(
        ConsoleSession.token_hash == _digest(token))).first()
    if row is None or row.expires_at <= now:
        return None
    user = session.get(ConsoleUser, row.user_id)
    return Login(user.id, user.username, user.role, row.csrf_token) if user else None


def close_session(session: Session, token: Optional[str]) -> None:
    if token:
        session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))


def csrf_matches(expected: str, given: Optional[str]) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())
