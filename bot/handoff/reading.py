"""The bot's English reading of a customer message, from the intent and entities NLU found:
"asks for a payment plan: 3 instalments from Mar 1, 2027", so a collector who does not
read the customer's language still knows what is asked."""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable, Mapping, Optional

from bot.conversation.formatting import day
from bot.conversation.parsing import parse_amount, parse_count, parse_date
from bot.requests.disputes import reason_from_text

INTENT_READINGS = {
    "greet": "greets",
    "goodbye": "says goodbye",
    "thank": "says thank you",
    "affirm": "says yes",
    "deny": "says no",
    "bot_challenge": "asks whether they are talking to a bot",
    "out_of_scope": "asks something outside accounts receivable",
    "ask_balance": "asks what the account owes",
    "ask_invoice_status": "asks about an invoice's status",
    "ask_payment_status": "asks whether a payment arrived",
    "request_invoice_copy": "asks for a copy of an invoice",
    "request_statement": "asks for a statement",
    "request_payment_link": "asks how to pay",
    "request_payment_plan": "asks for a payment plan",
    "open_dispute": "wants to dispute an invoice",
    "promise_to_pay": "promises to pay",
    "request_human": "asks for a person",
    "update_contact_preference": "wants to change contact details",
    "nlu_fallback": "(the bot did not understand this)",
}


def _values(entities: Iterable[Mapping[str, Any]], name: str) -> list[str]:
    return [str(e.get("value")) for e in entities
            if e.get("entity") == name and e.get("value") not in (None, "")]


def _details(entities: list[Mapping[str, Any]], language: str, today: date) -> list[str]:
    details: list[str] = []
    for invoice in dict.fromkeys(_values(entities, "invoice_number")):
        details.append(f"invoice {invoice}")
    for text in _values(entities, "amount")[:1]:
        amount = parse_amount(text, language)
        details.append(f"amount {amount:,.2f}" if amount is not None else f"amount {text}")
    for text in _values(entities, "instalments")[:1]:
        count = parse_count(text)
        details.append(f"{count} instalments" if count else f"instalments {text}")
    for text in _values(entities, "date")[:1]:
        when = parse_date(text, today, language)
        details.append(f"from {day(when)}" if when else f"date {text!r}")
    for text in _values(entities, "dispute_reason")[:1]:
        reason = reason_from_text(text)
        details.append(f"reason: {(reason or text).replace('_', ' ')}")
    for name in ("payment_reference", "channel", "email", "language"):
        for value in _values(entities, name)[:1]:
            details.append(f"{name.replace('_', ' ')} {value}")
    return details


def english_reading(parse_data: Optional[Mapping[str, Any]], language: str,
                    today: date) -> Optional[str]:
    """What the message asks, in English, or None when NLU said nothing about it."""
    if not parse_data:
        return None
    intent = (parse_data.get("intent") or {}).get("name")
    entities = [e for e in parse_data.get("entities") or [] if isinstance(e, Mapping)]
    if not intent:
        return None
    reading = INTENT_READINGS.get(intent, intent.replace("_", " "))
    details = _details(entities, language, today)
    return f"{reading}: {', '.join(details)}" if details else reading
