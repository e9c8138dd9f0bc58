"""Slack Events API payloads: which ones carry a customer's message, and what it says.

Pure functions over the decoded JSON; the HTTP side is in integrations.slack_channel.
A person's message is a `message` (or `app_mention`) event without a subtype, or with one
of the subtypes a person writes (a file shared with or without a comment, a thread reply
also sent to the channel, a /me message). Edits, deletions, joins and leaves, topic
changes, bots (this app included) and every other subtype or event are not questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

MESSAGE_EVENTS = frozenset({"message", "app_mention"})
PERSON_SUBTYPES = frozenset({"file_share", "thread_broadcast", "me_message"})

# <@U123>, <#C123|general>, <!here>, <https://x|label>, <mailto:a@b|a@b>: Slack's markup.
_ENTITY = re.compile(r"<([^<>]*)>")


class NotAnEvent(ValueError):
    """A body that is JSON but not the shape of any Slack Events API request."""


@dataclass(frozen=True)
class SlackMessage:
    """A customer's message: who wrote what, where, and the thread the answer goes to.
    text is empty when they only shared a file (has_files)."""

    user: str
    text: str
    channel: str
    ts: str
    thread_ts: str
    team: Optional[str]
    has_files: bool = False

    @property
    def delivery_id(self) -> str:
        """One id per message, the same whether it came as `message` or `app_mention`."""
        return f"{self.channel}:{self.ts}"

    def metadata(self) -> dict[str, Any]:
        return {"slack": {"channel": self.channel, "thread_ts": self.thread_ts,
                          "ts": self.ts, "team": self.team, "user": self.user}}


def check_shape(payload: Any) -> None:
    """Raise NotAnEvent unless payload is a request Slack's Events API sends: an object
    with a type, and for an event_callback an event object with a type."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("type"), str):
        raise NotAnEvent("expected a JSON object with a type")
    if payload["type"] == "event_callback":
        event = payload.get("event")
        if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
            raise NotAnEvent("expected an event object with a type")


def _bot_users(payload: Mapping[str, Any]) -> set[str]:
    """The app's own bot user ids, as Slack lists them on each event."""
    return {a.get("user_id") for a in payload.get("authorizations") or []
            if isinstance(a, Mapping) and a.get("is_bot")}


def _entity(match: re.Match) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("@"):
        return " "  # a mention: who is addressed (the app), not what is asked
    if target.startswith("#"):
        return f"#{label}" if label else " "
    if target.startswith("!"):
        return label or " "  # <!here>, <!date^...|fallback>
    return label or target.removeprefix("mailto:")  # what they typed: a link, an email


def plain_text(text: str) -> str:
    """What a person wrote, from a message event's text: Slack's markup undone (links and
    emails as typed, mentions dropped, &amp; &lt; &gt; unescaped), spaces collapsed."""
    text = _ENTITY.sub(_entity, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def _rich_text(elements: Iterable[Any]) -> Iterable[str]:
    """The words of rich_text elements, in order: text, links and emails as written;
    mentions, channels and emoji left out."""
    for element in elements:
        if not isinstance(element, Mapping):
            continue
        kind = element.get("type")
        if kind == "text" and isinstance(element.get("text"), str):
            yield element["text"]
        elif kind == "link":
            yield str(element.get("text") or element.get("url") or "").removeprefix("mailto:")
        elif isinstance(element.get("elements"), list):  # sections, lists, quotes
            yield from _rich_text(element["elements"])
            yield "\n"


def written_text(event: Mapping[str, Any]) -> str:
    """The text of a message event; from its rich_text blocks when text is missing."""
    text = event.get("text")
    if isinstance(text, str) and plain_text(text):
        return plain_text(text)
    blocks = [b for b in event.get("blocks") or []
              if isinstance(b, Mapping) and b.get("type") == "rich_text"]
    return " ".join("".join(_rich_text(blocks)).split())


def customer_message(payload: Mapping[str, Any]) -> Optional[SlackMessage]:
    """The customer message an event_callback carries, or None for anything else: other
    event types, edits and other subtypes, bots (this one included), nothing written."""
    event = payload.get("event")
    if payload.get("type") != "event_callback" or not isinstance(event, Mapping):
        return None
    if event.get("type") not in MESSAGE_EVENTS:
        return None
    if event.get("subtype") and event.get("subtype") not in PERSON_SUBTYPES:
        return None
    if event.get("bot_id") or event.get("bot_profile"):
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not all(isinstance(v, str) and v for v in (user, channel, ts)):
        return None
    if user in _bot_users(payload):
        return None
    text = written_text(event)
    has_files = bool(event.get("files")) or event.get("subtype") == "file_share"
    if not text and not has_files:
        return None
    thread_ts = event.get("thread_ts") if isinstance(event.get("thread_ts"), str) else None
    # In a Slack Connect channel the writer's workspace is user_team, not the channel's.
    team = event.get("user_team") or event.get("team") or payload.get("team_id")
    return SlackMessage(user=user, text=text, channel=channel, ts=ts,
                        thread_ts=thread_ts or ts, team=team, has_files=has_files)


def verified_email(users_info: Mapping[str, Any]) -> Optional[str]:
    """The profile email of a users.info answer, only when Slack says it is confirmed."""
    user = users_info.get("user") or {}
    if user.get("is_email_confirmed") is not True or user.get("is_bot"):
        return None
    email = (user.get("profile") or {}).get("email")
    return email.strip().lower() if isinstance(email, str) and email.strip() else None
