"""Conversations in each of the five languages, through the real servers: the reply is in
the customer's language every time, with money and dates in their locale."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from bot.conversation.formatting import money
from bot.settings import PROJECT_ROOT
from tests.integration.chat import visitor

pytestmark = pytest.mark.servers

RESPONSES = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]
OPEN_TOTAL = Decimal("16225.50")  # ACME-001 in the demo ledger


def response_text(name: str, language: str) -> str:
    """The domain's wording of a response in a language (English: no condition)."""
    for variation in RESPONSES[name]:
        languages = [c["value"] for c in variation.get("condition") or []]
        if languages == ([language] if language != "en" else []):
            return variation["text"]
    raise KeyError(name, language)


def fixed_part(name: str, language: str) -> str:
    """The longest piece of a response's wording without placeholders."""
    text = response_text(name, language)
    pieces = [p for chunk in text.split("{") for p in chunk.split("}")[-1:]]
    return max(pieces, key=len).strip()


BALANCE_QUESTIONS = {
    "en": "hi, what's our current balance?",
    "es": "hola, cuál es mi saldo",
    "fr": "bonjour, quel est notre solde actuel ?",
    "de": "hallo, wie hoch ist unser offener Saldo?",
    "pt": "oi, qual é o nosso saldo em aberto?",
}


@pytest.mark.parametrize("language", sorted(BALANCE_QUESTIONS))
def test_balance_conversation_is_answered_in_the_customers_language(assistant, language):
    customer = visitor(assistant)
    asked = customer.says(BALANCE_QUESTIONS[language])
    assert fixed_part("utter_need_verification", language) in asked
    # Account and invoice numbers have no language: the conversation keeps its own.
    assert fixed_part("utter_ask_verification_invoice", language) in customer.says("ACME-001")
    reply = customer.says("INV-2026-0101")
    assert fixed_part("utter_verified", language) in reply
    assert money(OPEN_TOTAL, "USD", language) in reply


@pytest.mark.parametrize("language, short_replies", [
    ("es", ["vale", "ok", "sí"]),
    ("de", ["jawohl", "ok", "danke"]),
    ("fr", ["ok", "merci"]),
    ("pt", ["ok", "blz", "valeu"]),
])
def test_short_replies_keep_the_language_of_the_conversation(assistant, language,
                                                             short_replies):
    customer = visitor(assistant)
    customer.says(BALANCE_QUESTIONS[language])
    for text in short_replies:
        customer.says(text)
        assert _last_language(customer) == language, text


def test_asking_for_another_language_switches_the_conversation_for_good(assistant):
    customer = visitor(assistant)
    customer.says("hi, what's our current balance?")
    customer.says("can we do this in German?")
    assert _last_language(customer) == "de"
    asked = customer.says("ACME-001")
    assert fixed_part("utter_ask_verification_invoice", "de") in asked
    reply = customer.says("INV-2026-0101")
    assert money(OPEN_TOTAL, "USD", "de") in reply
    customer.says("ok")
    assert _last_language(customer) == "de"


def _last_language(customer) -> str:
    slots = [e for e in customer.transcript()
             if e["event"] == "slot" and e["name"] == "language"]
    return slots[-1]["value"]
