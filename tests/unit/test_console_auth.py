"""Console logins: argon2 hashes, lockout that ends, sessions that expire, roles."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.console.auth import (UserError, authenticate, close_session, create_user, csrf_matches,
                              current_login, open_session)
from bot.console.models import ConsoleAuditEntry, ConsoleSession, ConsoleUser
from bot.db import Database
from bot.ledger.schema import migrate

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
PASSWORD = "a-long-enough-password"


@pytest.fixture
def database(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'ar.db'}")
    migrate(database)
    with database.session() as session:
        create_user(session, "maya", "manager", PASSWORD)
    return database


def login(database, password, now=NOW):
    with database.session() as session:
        return authenticate(session, "maya", password, now, max_failures=3, lockout_minutes=15)


def test_the_password_is_stored_as_an_argon2id_hash_only(database):
    with database.session() as session:
        user = session.scalars(select(ConsoleUser)).one()
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert login(database, PASSWORD).user is not None
    assert login(database, PASSWORD.upper()).user is None


@pytest.mark.parametrize("name, role, password, why", [
    ("maya", "manager", PASSWORD, "exists already"),
    ("sam", "owner", PASSWORD, "role"),
    ("sam", "manager", "short", "at least 12"),
    ("sam smith", "manager", PASSWORD, "username"),
])
def test_a_user_that_cannot_be_made_is_refused_with_the_reason(database, name, role, password, why):
    with database.session() as session, pytest.raises(UserError, match=why):
        create_user(session, name, role, password)


def test_lockout_after_repeated_failures_ends_after_its_minutes(database):
    assert [login(database, "wrong").locked for _ in range(3)] == [False, False, True]
    assert login(database, PASSWORD, NOW + timedelta(minutes=14)).user is None
    assert login(database, PASSWORD, NOW + timedelta(minutes=16)).user is not None
    with database.session() as session:
        actions = [e.action for e in session.scalars(select(ConsoleAuditEntry).order_by(ConsoleAuditEntry.id))]
    assert actions == ["user_created", "login_failed", "login_failed", "login_failed",
                       "login_refused", "login"]


def test_a_session_token_is_stored_hashed_expires_and_closes(database):
    user_login = login(database, PASSWORD)
    with database.session() as session:
        token = open_session(session, session.merge(user_login.user), NOW, hours=8)
    with database.session() as session:
        stored = session.scalars(select(ConsoleSession)).one()
        assert token not in stored.token_hash
        found = current_login(session, token, NOW + timedelta(hours=7))
        assert (found.username, found.role, found.may("export"), found.may("erase")) == \
            ("maya", "manager", True, False)
        assert current_login(session, token, NOW + timedelta(hours=9)) is None
        assert current_login(session, token + "x", NOW) is None
        assert csrf_matches(found.csrf_token, found.csrf_token)
        assert not csrf_matches(found.csrf_token, "") and not csrf_matches(found.csrf_token, None)
        close_session(session, token)
        assert current_login(session, token, NOW) is None

