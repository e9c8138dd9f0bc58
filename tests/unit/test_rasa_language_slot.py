"""The language slot, set by the Rasa server right after each message is read
(integrations/rasa_language_slot.py), on the demo ledger's contacts."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime.app import ARApp
from bot.settings import PROJECT_ROOT
from integrations import rasa_language_slot

KLAUS = "+4915112345678"  # Globex's Klaus Weber, German on file
DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def ledger(demo_db, settings, monkeypatch):
    app = ARApp(settings)
    app.database = demo_db
    monkeypatch.setattr(rasa_language_slot, "_app", app)
    return app


def _detected(language: str, confidence: float) -> dict:
    return {"entity": "detected_language", "value": language, "start": 0, "end": 1,
            "confidence_entity": confidence}


def _tracker(text: str, entities=(), intent="ask_balance", sender=KLAUS,
             channel="twilio", language=None) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    if language:
        tracker.update(SlotSet("language", language))
    tracker.update(UserUttered(text, {"name": intent, "confidence": 0.9}, list(entities),
                               input_channel=channel))
    return tracker


def choose(tracker) -> str:
    return asyncio.run(rasa_language_slot.choose(tracker))


def test_a_first_short_message_is_answered_in_the_contacts_stored_language(ledger):
    assert choose(_tracker("ok", [_detected("en", 0.4)])) == "de"


def test_a_confident_reading_wins_over_the_stored_language(ledger):
    assert choose(_tracker("what is our open balance please?", [_detected("en", 0.97)])) == "en"


def test_a_short_message_keeps_the_language_spoken(ledger):
    assert choose(_tracker("vale", [_detected("en", 0.6)], language="es")) == "es"


def test_a_language_asked_for_is_taken(ledger):
    request = [{"entity": "language", "value": "fr", "start": 0, "end": 5}]
    assert choose(_tracker("can we do this in French?", request + [_detected("en", 0.99)],
                           intent="update_contact_preference", language="en")) == "fr"


def test_a_stranger_on_the_web_gets_what_was_detected(ledger):
    assert choose(_tracker("hola", [_detected("es", 0.5)], sender="web-visitor-1",
                           channel="rest")) == "es"


def test_rasa_sets_the_slot_with_the_slots_it_extracts(ledger, monkeypatch):
    monkeypatch.setattr(ActionExtractSlots, "run", ActionExtractSlots.run)  # put back after
    rasa_language_slot.install()
    tracker = _tracker("¿cuál es nuestro saldo pendiente?", [_detected("es", 0.98)])
    events = asyncio.run(ActionExtractSlots(None).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(DOMAIN.responses),
        tracker, DOMAIN))
    assert events[-1] == SlotSet("language", "es")
