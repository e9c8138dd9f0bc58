"""Messages arriving at once, as a busy AP clerk and a month-end crowd send them, to a Rasa
server of two worker processes (RASA_WORKERS=2): they share each conversation's lock, so no
turn is lost, doubled or interleaved with another, everyone gets their own answers, and
/metrics counts the messages of both workers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.chat import visitor
from tests.integration.test_operations import scrape

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def server_settings():
    return {"RASA_WORKERS": "2"}


def messages_counted(assistant) -> float:
    return sum(value for (name, _labels), value in scrape(assistant.rasa_port).items()
               if name == "ar_messages_received_total")


def test_messages_sent_at_once_are_each_answered_once_and_never_interleaved(assistant):
    before = messages_counted(assistant)
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
    assert messages_counted(assistant) - before == len(texts)  # both workers' counts


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
