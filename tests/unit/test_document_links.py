"""Signed document links: bound to one document, expiring, refusing what was altered."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.documents.links import LinkRefused, sign, verify


def test_a_link_opens_only_its_own_document_until_it_expires():
    secret, now = b"s" * 32, datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    link = sign(secret, 42, now + timedelta(hours=72))
    assert verify(secret, link.token, now) == 42
    assert len(link.url("https://ar.example.com")) < 80
    with pytest.raises(LinkRefused) as expired:
        verify(secret, link.token, now + timedelta(hours=73))
    assert expired.value.reason == "expired"
    other = sign(secret, 43, now + timedelta(hours=72)).token
    forged = other.split(".")[0] + "." + ".".join(link.token.split(".")[1:])
    for token in (forged, link.token[:-2] + "AA", "guess", "", link.token + "x" * 90):
        with pytest.raises(LinkRefused) as refused:
            verify(secret, token, now)
        assert refused.value.reason == "invalid"
    with pytest.raises(LinkRefused):
        verify(b"another secret", link.token, now)
