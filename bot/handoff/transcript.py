"""A conversation's messages read from serialised tracker events (as the action server and
Rasa's HTTP API both give them): who said what, in which language, and for customer
messages the bot's English reading."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Iterable, Mapping, Optional

from bot.conversation.language_detection import Detection
from bot.handoff.reading import english_reading
from bot.languages import DEFAULT_LANGUAGE

CONFIDENT_LANGUAGE = 0.6


def _when(event: Mapping[str, Any]) -> Optional[str]:
    stamp = event.get("timestamp")
    if not isinstance(stamp, (int, float)):
        return None
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds")


def messages(events: Iterable[Mapping[str, Any]], today: date,
             start: int = 0) -> list[dict[str, Any]]:
    """Every user and bot message from event `start` on, in order:
    {"who": customer | bot | collector, "name", "text", "language", "reading", "at", "index"}."""
    language = DEFAULT_LANGUAGE
    found: list[dict[str, Any]] = []
    for index, event in enumerate(events):
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "language" and event.get("value"):
            language = str(event["value"])
        if index < start:
            continue
        if kind == "user" and event.get("text"):
            parse = event.get("parse_data") or {}
            detection = Detection.from_entities(parse.get("entities") or [])
            said_in = (detection.language if detection.language
                       and detection.confidence >= CONFIDENT_LANGUAGE
                       and len(str(event["text"]).split()) >= 3 else language)
            shown = (event.get("metadata") or {}).get("display") or event["text"]
            found.append({"who": "customer", "name": None, "text": str(shown),
                          "language": said_in, "at": _when(event), "index": index,
                          "reading": english_reading(parse, said_in, today)})
        elif kind == "bot" and event.get("text"):
            collector = (event.get("metadata") or {}).get("collector")
            found.append({"who": "collector" if collector else "bot", "name": collector,
                          "text": str(event["text"]), "language": language,
                          "at": _when(event), "index": index, "reading": None})
    return found


def actions_run(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """The names of our actions the conversation ran, in order, without repeats."""
    names = [str(e.get("name")) for e in events if e.get("event") == "action"
             and str(e.get("name", "")).startswith(("action_", "validate_"))
             and e.get("name") not in ("action_listen", "action_session_start")]
    return list(dict.fromkeys(names))
