"""Messages arriving at once, as a busy AP clerk and a month-end crowd send them: the Rasa
workers (RASA_WORKERS, two by default) share each conversation's lock, so no turn is lost,
doubled or interleaved with another, and everyone gets their own answers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.chat import visitor

pytestmark = pytest.mark.servers


def test_messages_sent_at_once_are_each_answered_once_and_never_interleaved(assistant):
    jane = visitor(assistant)
    texts = [f"hello {n}" for n in range(8)]
    with ThreadPoolExecutor(len(texts)) as pool:
        replies = list(pool.map(jane.says, texts))
    assert all(replies), "every message got an answer"
    events = [e for e in jane.transcript() if e["event"] in ("user", "bot", "action")]
    users = [e["text"] for e in events if e["event"] == "user"]
    assert sorted(users) == sorted(texts)  # each turn kept exactly once
    # A turn runs to its action_listen before the next user message is read.
    reading = False
    for event in events:
        if event["event"] == "user":
            assert not reading, "a message was read while another was being answered"
            reading = True
        elif event["event"] == "action" and event.get("name") == "action_listen":
            reading = False


def test_many_customers_at_once_each_get_their_own_figures(assistant):
    def conversation(n: int) -> str:
        customer = visitor(assistant)
        customer.says("what's our balance?")
        customer.says("ACME-001")
        return customer.says("INV-2026-0101")

    with ThreadPoolExecutor(12) as pool:
        replies = list(pool.map(conversation, range(12)))
    for reply in replies:
        assert "verified for Acme Corporation" in reply
        assert "$16,225.50 open" in reply
