"""Slack Events API payloads: which ones carry a customer's message, and what it says.

Pure functions over the decoded JSON; the HTTP side is in integrations.slack_channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from bot.messaging.slack_text import without_mentions

MESSAGE_EVENTS = frozenset({"message", "app_mention"})


@dataclass(frozen=True)
class SlackMessage:
    """A customer's message: who wrote what, where, and the thread the answer goes to."""

    user: str
    text: str
    channel: str
    ts: str
    thread_ts: str
    team: Optional[str]

    @property
    def delivery_id(self) -> str:
        """One id per message, the same whether it came as `message` or `app_mention`."""
        return f"{self.channel}:{self.ts}"

    def metadata(self) -> dict[str, Any]:
        return {"slack": {"channel": self.channel, "thread_ts": self.thread_ts,
                          "ts": self.ts, "team": self.team, "user": self.user}}


def _bot_users(payload: Mapping[str, Any]) -> set[str]:
    """The app's own bot user ids, as Slack lists them on each event."""
    return {a.get("user_id") for a in payload.get("authorizations") or []
            if isinstance(a, Mapping) and a.get("is_bot")}


def customer_message(payload: Mapping[str, Any]) -> Optional[SlackMessage]:
    """The customer message an event_callback carries, or None for anything else: other
    event types, edits and other subtypes, bots (this one included), empty text."""
    event = payload.get("event")
    if payload.get("type") != "event_callback" or not isinstance(event, Mapping):
        return None
    if event.get("type") not in MESSAGE_EVENTS or event.get("subtype"):
        return None
    if event.get("bot_id") or event.get("bot_profile"):
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not all(isinstance(v, str) and v for v in (user, channel, ts)):
        return None
    if user in _bot_users(payload):
        return None
    text = event.get("text")
    text = without_mentions(text) if isinstance(text, str) else ""
    if not text:
        return None
    thread_ts = event.get("thread_ts") if isinstance(event.get("thread_ts"), str) else None
    team = event.get("team") or event.get("user_team") or payload.get("team_id")
    return SlackMessage(user=user, text=text, channel=channel, ts=ts,
                        thread_ts=thread_ts or ts, team=team)


def verified_email(users_info: Mapping[str, Any]) -> Optional[str]:
    """The profile email of a users.info answer, only when Slack says it is confirmed."""
    user = users_info.get("user") or {}
    if user.get("is_email_confirmed") is not True or user.get("is_bot"):
        return None
    email = (user.get("profile") or {}).get("email")
    return email.strip().lower() if isinstance(email, str) and email.strip() else None
