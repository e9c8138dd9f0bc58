"""Web chat session cookies: only the server's signature, within the session's lifetime,
names a conversation; everything else starts a new one."""

from __future__ import annotations

import stat

import pytest

from bot.settings import load_settings
from integrations.webchat_session import Sessions, session_secret, sign, verified_conversation

SECRET = b"unit-webchat-secret"
NOW = 1_800_000_000
TWELVE_HOURS = 12 * 3600


def test_a_cookie_the_server_signed_names_its_conversation():
    cookie = sign(SECRET, "webchat-abc", NOW)
    assert verified_conversation(SECRET, cookie, NOW + 60, TWELVE_HOURS) == "webchat-abc"


@pytest.mark.parametrize("tamper", [
    lambda c: c.replace("webchat-abc", "webchat-abd"),           # another conversation
    lambda c: c.replace(f".{NOW}.", f".{NOW + 3600}."),           # a later issue time
    lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),            # the signature itself
    lambda c: "webchat-abc." + str(NOW) + ".",                    # no signature
    lambda c: "webchat-abc",                                      # the bare id
])
def test_a_tampered_cookie_names_no_conversation(tamper):
    cookie = sign(SECRET, "webchat-abc", NOW)
    assert verified_conversation(SECRET, tamper(cookie), NOW, TWELVE_HOURS) is None


def test_a_cookie_signed_with_another_secret_names_no_conversation():
    cookie = sign(b"someone-elses-secret", "webchat-abc", NOW)
    assert verified_conversation(SECRET, cookie, NOW, TWELVE_HOURS) is None


def test_a_cookie_expires_after_the_session_lifetime():
    cookie = sign(SECRET, "webchat-abc", NOW)
    assert verified_conversation(SECRET, cookie, NOW + TWELVE_HOURS - 1, TWELVE_HOURS)
    assert verified_conversation(SECRET, cookie, NOW + TWELVE_HOURS, TWELVE_HOURS) is None


def test_a_cookie_issued_in_the_future_names_no_conversation():
    cookie = sign(SECRET, "webchat-abc", NOW + 3600)
    assert verified_conversation(SECRET, cookie, NOW, TWELVE_HOURS) is None


@pytest.mark.parametrize("value", [None, "", "...", "a.b.c", "a.1.b.c", "é.1.x", "a.1.é", "a.¹.b"])
def test_malformed_cookies_name_no_conversation(value):
    assert verified_conversation(SECRET, value, NOW, TWELVE_HOURS) is None


def test_a_visitor_without_a_valid_cookie_gets_a_new_unguessable_conversation():
    sessions = Sessions(SECRET, 12)
    first = sessions.resume_or_start(None, NOW)
    second = sessions.resume_or_start("webchat-chosen-by-me.1.abc", NOW)
    assert first.conversation_id != second.conversation_id
    assert second.conversation_id != "webchat-chosen-by-me"
    assert len(first.conversation_id) >= 32
    assert verified_conversation(SECRET, first.new_cookie, NOW, TWELVE_HOURS) \
        == first.conversation_id


def test_a_visitor_with_a_valid_cookie_continues_without_a_new_one():
    sessions = Sessions(SECRET, 12)
    started = sessions.resume_or_start(None, NOW)
    resumed = sessions.resume_or_start(started.new_cookie, NOW + 3600)
    assert resumed.conversation_id == started.conversation_id
    assert resumed.new_cookie is None
    expired = sessions.resume_or_start(started.new_cookie, NOW + TWELVE_HOURS)
    assert expired.conversation_id != started.conversation_id


def test_the_secret_comes_from_the_setting_and_is_never_shown(tmp_path):
    settings = load_settings({"AR_STATE_DIR": str(tmp_path), "WEBCHAT_SECRET": "s3cr3t-value"})
    assert session_secret(settings) == b"s3cr3t-value"
    assert "s3cr3t-value" not in repr(settings)
    assert "s3cr3t-value" not in repr(Sessions(session_secret(settings), 12))
    assert not (tmp_path / "webchat_secret").exists()


def test_without_the_setting_a_random_secret_is_kept_readable_only_by_its_owner(tmp_path):
    settings = load_settings({"AR_STATE_DIR": str(tmp_path / "state")})
    secret = session_secret(settings)
    path = tmp_path / "state" / "webchat_secret"
    assert len(secret) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_secret(settings) == secret  # kept: sessions survive a restart
    other = load_settings({"AR_STATE_DIR": str(tmp_path / "other")})
    assert session_secret(other) != secret
