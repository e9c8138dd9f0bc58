"""Action tests: real actions over a real ledger, with a rasa_sdk Tracker and dispatcher."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.utils import call_potential_coroutine

from actions.base import set_ar_app
from bot.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())

# Senders as the demo ledger knows them.
JANE_SMS = ("+14155550101", "twilio")  # Acme Corporation, by phone
PETER_SLACK = ("U03INITECH", "slack")  # Initech, by Slack user id
WEB_VISITOR = ("web-visitor-1", "rest")  # proves nothing until verified


@pytest.fixture(autouse=True)
def ledger(demo_app):
    set_ar_app(demo_app)
    yield demo_app
    set_ar_app(None)


def make_tracker(sender=JANE_SMS, text: str = "", intent: str = "ask_balance",
                 entities: Optional[dict[str, str]] = None, slots: Optional[dict] = None,
                 latest_action: str = "action_listen", earlier_intents=(),
                 active_loop: Optional[str] = None) -> Tracker:
    sender_id, channel = sender
    entity_list = [{"entity": k, "value": v} for k, v in (entities or {}).items()]
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.99},
              "entities": entity_list}
    events = [{"event": "user", "text": "...", "input_channel": channel,
               "parse_data": {"intent": {"name": name}}} for name in earlier_intents]
    events.append({"event": "action", "name": latest_action})
    events.append({"event": "user", "text": text, "input_channel": channel,
                   "parse_data": latest})
    return Tracker(sender_id=sender_id, slots=dict(slots or {}), latest_message=latest,
                   events=events, paused=False, followup_action=None,
                   active_loop={"name": active_loop} if active_loop else {},
                   latest_action_name=latest_action)


def render(message: dict[str, Any], language: Optional[str] = None) -> str:
    """The text the customer sees for one dispatched message, chosen as Rasa chooses:
    the variation for the conversation's language, else the default."""
    if message.get("text"):
        return message["text"]
    variations = DOMAIN["responses"][message["response"]]
    chosen = next((v for v in variations
                   if any(c.get("value") == language for c in v.get("condition", []))),
                  next(v for v in variations if not v.get("condition")))
    return chosen["text"].format(**message)


def run_action(action, tracker: Tracker) -> tuple[list[str], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    language = tracker.get_slot("language")
    return [render(m, language) for m in dispatcher.messages], events


def validate(validator, slot: str, value: Any, tracker: Tracker) -> tuple[list[str], dict]:
    dispatcher = CollectingDispatcher()
    result = asyncio.run(call_potential_coroutine(
        getattr(validator, f"validate_{slot}")(value, dispatcher, tracker, DOMAIN)))
    language = tracker.get_slot("language")
    return [render(m, language) for m in dispatcher.messages], result


def fill(validator, text: str, slots: Optional[dict] = None, intent: str = "nlu_fallback",
         sender=JANE_SMS, confidence: float = 0.99) -> tuple[list[str], dict]:
    """One customer message read by a form that is asking for slots["requested_slot"]:
    what the customer is told, and the slots it sets (None for a step aside)."""
    tracker = make_tracker(sender, text, intent, slots=slots,
                           active_loop=validator.name().replace("validate_", "", 1))
    tracker.latest_message["intent"]["confidence"] = confidence
    said, events = run_action(validator, tracker)
    return said, slot_events(events)


def followups(events) -> list[str]:
    return [e["name"] for e in events if e.get("event") == "followup"]


def slot_events(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
