"""A conversation's events read as a transcript: who said what, when, on which channel,
what the bot understood and did, and what that adds up to (outcome, handoff, doubts)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from bot.console.tracker_events import TrackerEvent, first_value

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = {"action_default_fallback", "action_two_stage_fallback"}
HANDOFF_ACTIONS = {"action_request_human", "action_handoff"}
DENY_INTENTS = {"deny"}
# Actions that answer a request: a conversation with one and no person is self-served.
SERVICE_ACTION_PREFIXES = ("action_tell_", "action_send_", "action_give_", "action_submit_")
# Actions Rasa or the forms run for every turn; they are not something the bot "did".
HOUSEKEEPING_ACTIONS = {"action_listen", "action_session_start", "action_validate_slot_mappings",
                        "action_unlikely_intent", "action_extract_slots"}
# A person's message relayed into the transcript names them in the bot event's metadata.
COLLECTOR_KEYS = ("collector", "collector_name", "agent_name", "human_agent", "author_name")
FRUSTRATION_SLOTS = ("frustration", "frustrated", "customer_frustrated")
REFERENCE = re.compile(r"\b(DSP|PLN|PTP|DOC|HND|CHG)-[2-9A-HJ-NP-Z]{6}\b")


@dataclass
class Message:
    event_id: int
    at: datetime
    speaker: str  # customer | bot | collector
    text: str
    channel: Optional[str] = None
    language: Optional[str] = None
    collector: Optional[str] = None
    intent: Optional[str] = None
    confidence: Optional[float] = None
    alternatives: list[str] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    fallback: bool = False
    low_confidence: bool = False
    corrected_by_customer: bool = False


@dataclass
class Transcript:
    conversation_id: str
    messages: list[Message]
    channel: Optional[str]
    language: Optional[str]
    started_at: datetime
    last_at: datetime
    last_event_id: int
    handed_off: bool
    self_served: bool
    frustrated: bool
    references: list[str]

    def of(self, speaker: str) -> list[Message]:
        return [m for m in self.messages if m.speaker == speaker]


def _entities(parse_data: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for entity in parse_data.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("entity") == "detected_language":
            continue
        found.append({key: entity.get(key) for key in ("entity", "value", "start", "end")
                      if entity.get(key) is not None})
    return found


def channel_name(input_channel: Optional[str], conversation_id: str) -> Optional[str]:
    """The channel as managers name it: one Twilio connector carries SMS and WhatsApp,
    told apart by the sender (whatsapp:+...)."""
    if input_channel in ("twilio", "twilio_messaging"):
        return "whatsapp" if conversation_id.startswith("whatsapp:") else "sms"
    return input_channel


def _alternatives(parse_data: dict[str, Any], intent: Optional[str]) -> list[str]:
    """The ranking's next intents (FallbackClassifier puts nlu_fallback first and keeps
    the classifier's guesses after it)."""
    names = [r.get("name") for r in parse_data.get("intent_ranking") or [] if isinstance(r, dict)]
    return [n for n in names if n and n not in (intent, FALLBACK_INTENT)][:3]


def _collector(event: TrackerEvent) -> Optional[str]:
    metadata = event.metadata
    name = first_value(metadata, COLLECTOR_KEYS)
    if name:
        return str(name)
    if metadata.get("author") in ("collector", "human", "agent"):
        return str(metadata.get("name") or "collector")
    return None


def read_transcript(conversation_id: str, events: list[TrackerEvent],
                    low_confidence: float) -> Optional[Transcript]:
    """The transcript of one conversation, or None when nothing was said in it."""
    messages: list[Message] = []
    language: Optional[str] = None
    channel: Optional[str] = None
    last_customer: Optional[Message] = None
    awaiting_language: Optional[Message] = None  # Rasa sets the slot just after the message
    handed_off = self_served = frustrated = False
    for event in events:
        data = event.data
        if event.type_name == "slot":
            if data.get("name") == "language" and data.get("value"):
                language = str(data["value"])
                if awaiting_language is not None:
                    awaiting_language.language = language
                    awaiting_language = None
            if data.get("name") in FRUSTRATION_SLOTS and data.get("value"):
                frustrated = True
        elif event.type_name == "user":
            parse = data.get("parse_data") or {}
            intent = (parse.get("intent") or {})
            channel = channel_name(data.get("input_channel"), conversation_id) or channel
            if last_customer is not None and intent.get("name") in DENY_INTENTS:
                last_customer.corrected_by_customer = True
            confidence = intent.get("confidence")
            message = Message(
                event.id, event.at, "customer", data.get("text") or "", channel, language,
                intent=intent.get("name"),
                confidence=float(confidence) if confidence is not None else None,
                alternatives=_alternatives(parse, intent.get("name")),
                entities=_entities(parse),
                fallback=intent.get("name") == FALLBACK_INTENT,
            )
            message.low_confidence = (message.confidence is not None
                                      and message.confidence < low_confidence)
            if event.metadata.get("frustration") or event.metadata.get("frustrated"):
                frustrated = True
            messages.append(message)
            last_customer = awaiting_language = message
        elif event.type_name == "bot":
            collector = _collector(event)
            speaker = "collector" if collector else "bot"
            handed_off = handed_off or bool(collector)
            messages.append(Message(event.id, event.at, speaker, data.get("text") or "",
                                    channel, language, collector=collector))
        elif event.type_name == "action":
            name = data.get("name") or ""
            if name in HOUSEKEEPING_ACTIONS or last_customer is None:
                continue
            last_customer.actions.append(name)
            if name in FALLBACK_ACTIONS:
                last_customer.fallback = True
            if name in HANDOFF_ACTIONS:
                handed_off = True
            if name.startswith(SERVICE_ACTION_PREFIXES):
                self_served = True
    if not messages:
        return None
    text = " ".join(m.text for m in messages if m.speaker != "customer")
    references = sorted(set(match.group(0) for match in REFERENCE.finditer(text)))
    if any(ref.startswith("HND-") for ref in references):
        handed_off = True
    return Transcript(conversation_id, messages, channel, language, messages[0].at,
                      messages[-1].at, events[-1].id, handed_off, self_served, frustrated,
                      references)
