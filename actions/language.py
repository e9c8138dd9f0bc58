"""The conversation's language, decided after every message and before any response."""

from rasa_sdk import ValidationAction

from actions.base import WithProjectDomain, ar_app, caller_of
from bot.conversation.language_detection import Detection, choose_language


class ActionValidateSlotMappings(WithProjectDomain, ValidationAction):
    """Rasa runs this right after reading each message, so the language slot it sets
    already picks the variation of this turn's responses."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    def extract_language(self, dispatcher, tracker, domain):
        message = tracker.latest_message or {}
        entities = message.get("entities") or []
        detection = Detection.from_entities(entities)
        requested = None
        if (message.get("intent") or {}).get("name") == "update_contact_preference":
            requested = next((e["value"] for e in entities if e.get("entity") == "language"),
                             None)
        previous = tracker.get_slot("language")
        preferred = None
        if previous is None and requested is None:
            with ar_app().session() as session:
                caller = caller_of(session, tracker)
                preferred = caller.language if caller else None
        return {"language": choose_language(message.get("text") or "", detection, previous,
                                            preferred, requested)}

    def validate_language(self, value, dispatcher, tracker, domain):
        """Chosen whole by extract_language; saying so spares rasa_sdk's warning (and its
        log line) on every message."""
        return {"language": value}
