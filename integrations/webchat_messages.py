"""What the web chat page sends and receives, as plain data: the visitor's message checked
before it reaches the assistant, the assistant's messages reduced to what the page draws
(text, buttons, images, documents), and a conversation's history from tracker events."""

from __future__ import annotations

import json
from typing import Any, Iterable, NamedTuple, Optional

MAX_TEXT_CHARS = 2000
MAX_DISPLAY_CHARS = 200
# A body this large cannot hold an acceptable message: refused before it is parsed.
MAX_BODY_BYTES = 64 * 1024


class Refused(Exception):
    """A request the page should not have sent: status and a message for the visitor."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Incoming(NamedTuple):
    """A visitor's message: the text for the assistant and, for a button, its title as
    the transcript shows it."""

    text: str
    display: Optional[str] = None

    @property
    def metadata(self) -> dict[str, str]:
        return {"display": self.display} if self.display else {}


TOO_LONG = f"Message too long: at most {MAX_TEXT_CHARS} characters."


def parse_message(body: bytes) -> Incoming:
    """The message in a request body ({"text": ..., "display": optional}), or Refused:
    400 for what is not such a JSON object or has no text, 413 for a text too long."""
    if len(body or b"") > MAX_BODY_BYTES:
        raise Refused(413, TOO_LONG)
    try:
        payload = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, 'Expected a JSON body like {"text": "hello"}.') from None
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        raise Refused(400, 'Expected a JSON object with a "text" string.')
    text = payload["text"]
    if not text.strip():
        raise Refused(400, "The message is empty.")
    if len(text) > MAX_TEXT_CHARS:
        raise Refused(413, TOO_LONG)
    display = payload.get("display")
    if not isinstance(display, str) or not display.strip():
        display = None
    return Incoming(text.strip(), display.strip()[:MAX_DISPLAY_CHARS] if display else None)


def _link(value: Any) -> Optional[str]:
    """The address of an image or document given as a URL or a dict holding one."""
    if isinstance(value, dict):
        value = value.get("url") or value.get("src") or value.get("link")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _button(button: Any) -> Optional[dict[str, str]]:
    if not isinstance(button, dict):
        return None
    title, payload = button.get("title"), button.get("payload")
    if not (title or payload):
        return None
    return {"title": str(title or payload), "payload": str(payload or title)}


def bot_message(raw: dict[str, Any]) -> dict[str, Any]:
    """One assistant message as the page draws it: text, buttons, image, attachment
    (only those present). Everything is data; the page escapes it."""
    custom = raw.get("custom") if isinstance(raw.get("custom"), dict) else {}
    message: dict[str, Any] = {}
    text = raw.get("text") or custom.get("text")
    if text:
        message["text"] = str(text)
    buttons = [b for b in map(_button, raw.get("buttons") or raw.get("quick_replies") or [])
               if b]
    if buttons:
        message["buttons"] = buttons
    for key in ("image", "attachment"):
        link = _link(raw.get(key) or custom.get(key))
        if link:
            message[key] = link
    return message


def transcript(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The user's and the assistant's messages among serialised tracker events, in order:
    {"sender": "user" | "bot" | "collector" (with "name"), ...}; a button press shows as
    the button's title."""
    entries: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user" and event.get("text"):
            shown = (event.get("metadata") or {}).get("display") or event["text"]
            entries.append({"sender": "user", "text": shown})
        elif kind == "bot":
            message = bot_message({**(event.get("data") or {}), "text": event.get("text")})
            collector = (event.get("metadata") or {}).get("collector")
            if message and collector:  # a person from the AR team, relayed by the handoff
                entries.append({"sender": "collector", "name": str(collector), **message})
            elif message:
                entries.append({"sender": "bot", **message})
    return entries
