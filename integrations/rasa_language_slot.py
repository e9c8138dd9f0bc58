"""The conversation's language, set by the Rasa server right after it reads each message,
with the slots extracted from it: this turn's responses already come in it.

It was the action server's slot-validation action, one call in three and 30 % of the
calls' bytes (README, "Speed"); the choice needs the message's reading, the language
spoken so far and, on a conversation's first message, the contact's stored preference,
all of which the Rasa server has.
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from rasa.core.actions.action import ActionExtractSlots
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.conversation.identity import identify
from bot.conversation.language_detection import Detection, choose_language
from bot.runtime.app import ARApp

SLOT = "language"
REQUEST_INTENT = "update_contact_preference"  # "reply in French from now on"

_app: Optional[ARApp] = None


def _ledger() -> ARApp:
    global _app
    if _app is None:
        _app = ARApp()
    return _app


def _preferred(sender_id: str, channel: Optional[str]) -> Optional[str]:
    """The identified contact's stored language (their customer's, if they have none)."""
    app = _ledger()
    with app.session() as session:
        caller = identify(session, sender_id, channel, app.now())
        return caller.language if caller else None


async def choose(tracker: DialogueStateTracker) -> str:
    """The language of the reply to the tracker's latest message."""
    message = tracker.latest_message
    entities = list(message.entities) if message else []
    text = (message.text if message else None) or ""
    requested = None
    if message and (message.intent or {}).get("name") == REQUEST_INTENT:
        requested = next((e.get("value") for e in entities if e.get("entity") == SLOT), None)
    previous = tracker.get_slot(SLOT)
    preferred = None
    if previous is None and requested is None:
        preferred = await asyncio.to_thread(_preferred, tracker.sender_id,
                                            tracker.get_latest_input_channel())
    return choose_language(text, Detection.from_entities(entities), previous, preferred,
                           requested)


async def _extract_slots_and_language(self: ActionExtractSlots, output_channel: Any,
                                      nlg: Any, tracker: DialogueStateTracker, domain: Any,
                                      _original=ActionExtractSlots.run) -> list:
    events = await _original(self, output_channel, nlg, tracker, domain)
    if SLOT in {slot.name for slot in domain.slots}:
        events.append(SlotSet(SLOT, await choose(tracker)))
    return events


def install() -> None:
    ActionExtractSlots.run = _extract_slots_and_language
