"""Slack Events API requests as Slack sends them, for tests: the envelope and the event
shapes of Slack's documentation and of deliveries captured from real workspaces (rich
text blocks beside the text, files, edits, deletions, joins, bots, Slack Connect)."""

from __future__ import annotations

import itertools
from typing import Any, Optional

OUR_TEAM = "T0NORTHWIND"  # the workspace the app is installed in
CUSTOMER_TEAM = "T0CUSTOMER"  # a customer's own workspace, in a Slack Connect channel
BOT_USER, BOT_ID, APP_ID = "U0ARBOT", "B0ARBOT", "A0ARAPP"

_clock = itertools.count(1)


def next_ts() -> str:
    """A message ts of its own: no other message in the tests has it, so no event_id
    made from it repeats (which would be a retry)."""
    return f"1795000000.{next(_clock):06d}"


def envelope(event: dict[str, Any], *, shared: bool = False,
             event_id: Optional[str] = None) -> dict[str, Any]:
    """The event_callback wrapper around an event, as delivered to our workspace."""
    ts = event.get("event_ts") or event.get("ts") or next_ts()
    return {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "team_id": OUR_TEAM,
            "context_team_id": OUR_TEAM, "context_enterprise_id": None,
            "api_app_id": APP_ID, "event": event, "type": "event_callback",
            "event_id": event_id or "Ev" + ts.replace(".", ""),
            "event_time": int(float(ts)),
            "authorizations": [{"enterprise_id": None, "team_id": OUR_TEAM,
                                "user_id": BOT_USER, "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": shared, "event_context": "4-eyJldCI6Im1lc3NhZ2UifQ=="}


def rich_text(*elements: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "rich_text", "block_id": "b1",
             "elements": [{"type": "rich_text_section", "elements": list(elements)}]}]


def user_message(user: str, text: str, channel: str, *, ts: Optional[str] = None,
                 team: str = CUSTOMER_TEAM, thread_ts: Optional[str] = None,
                 channel_type: str = "channel", blocks: Optional[list] = None,
                 **extra: Any) -> dict[str, Any]:
    """A person's message: text and the rich_text blocks Slack's clients send with it."""
    ts = ts or next_ts()
    event = {"client_msg_id": f"c0ffee00-0000-4000-8000-{ts.replace('.', '')[-12:]}",
             "type": "message", "text": text, "user": user, "ts": ts,
             "blocks": blocks if blocks is not None else rich_text(
                 {"type": "text", "text": text}),
             "team": team, "channel": channel, "event_ts": ts, "channel_type": channel_type}
    if thread_ts:
        event.update(thread_ts=thread_ts, parent_user_id=user)
    return {**event, **extra}


def app_mention(message: dict[str, Any]) -> dict[str, Any]:
    """The app_mention Slack sends beside the message event for the same post."""
    event = {k: v for k, v in message.items() if k not in ("channel_type", "client_msg_id")}
    return {**event, "type": "app_mention", "client_msg_id": message.get("client_msg_id")}


def file_share(user: str, text: str, channel: str, **extra: Any) -> dict[str, Any]:
    """A file shared in a message, with or without a comment."""
    ts = next_ts()
    files = [{"id": "F0" + ts.replace(".", "")[-8:], "created": int(float(ts)),
              "timestamp": int(float(ts)), "name": "remittance.pdf",
              "title": "remittance.pdf", "mimetype": "application/pdf", "filetype": "pdf",
              "pretty_type": "PDF", "user": user, "user_team": CUSTOMER_TEAM,
              "mode": "hosted", "size": 48213, "is_external": False,
              "url_private": "https://files.slack.com/files-pri/T0-F0/remittance.pdf"}]
    event = user_message(user, text, channel, ts=ts, blocks=rich_text(
        {"type": "text", "text": text}) if text else [], **extra)
    return {**event, "subtype": "file_share", "files": files, "upload": True,
            "display_as_bot": False}


def message_changed(user: str, before: str, after: str, channel: str) -> dict[str, Any]:
    original = user_message(user, before, channel)
    ts = next_ts()
    return {"type": "message", "subtype": "message_changed", "hidden": True,
            "message": {**original, "text": after, "blocks": rich_text(
                {"type": "text", "text": after}),
                "edited": {"user": user, "ts": ts}},
            "previous_message": original, "channel": channel, "ts": ts, "event_ts": ts,
            "channel_type": "channel"}


def message_deleted(user: str, text: str, channel: str) -> dict[str, Any]:
    original = user_message(user, text, channel)
    ts = next_ts()
    return {"type": "message", "subtype": "message_deleted", "hidden": True,
            "channel": channel, "previous_message": original, "deleted_ts": original["ts"],
            "ts": ts, "event_ts": ts, "channel_type": "channel"}


def bot_message(text: str, channel: str) -> dict[str, Any]:
    """Another integration's post (no user)."""
    ts = next_ts()
    return {"subtype": "bot_message", "text": text, "username": "Reminders",
            "icons": {"emoji": "bulb"}, "type": "message", "ts": ts, "bot_id": "B0OTHER",
            "app_id": "A0OTHER", "blocks": rich_text({"type": "text", "text": text}),
            "channel": channel, "event_ts": ts, "channel_type": "channel"}


def our_own_post(text: str, channel: str, thread_ts: Optional[str] = None) -> dict[str, Any]:
    """What this app posted, coming back as a message event (user = our bot user)."""
    ts = next_ts()
    event = {"bot_id": BOT_ID, "type": "message", "text": text, "user": BOT_USER, "ts": ts,
             "app_id": APP_ID, "team": OUR_TEAM,
             "bot_profile": {"id": BOT_ID, "deleted": False, "name": "AR Assistant",
                             "app_id": APP_ID, "team_id": OUR_TEAM},
             "blocks": rich_text({"type": "text", "text": text}), "channel": channel,
             "event_ts": ts, "channel_type": "channel"}
    if thread_ts:
        event.update(thread_ts=thread_ts, parent_user_id="U03INITECH")
    return event


def channel_join(user: str, channel: str) -> dict[str, Any]:
    ts = next_ts()
    return {"type": "message", "subtype": "channel_join", "ts": ts, "user": user,
            "text": f"<@{user}> has joined the channel", "inviter": "U0ARSTAFF",
            "channel": channel, "event_ts": ts, "channel_type": "channel"}


def channel_leave(user: str, channel: str) -> dict[str, Any]:
    ts = next_ts()
    return {"type": "message", "subtype": "channel_leave", "ts": ts, "user": user,
            "text": f"<@{user}> has left the channel", "channel": channel,
            "event_ts": ts, "channel_type": "channel"}


def channel_topic(user: str, topic: str, channel: str) -> dict[str, Any]:
    ts = next_ts()
    return {"type": "message", "subtype": "channel_topic", "ts": ts, "user": user,
            "text": f"<@{user}> set the channel topic: {topic}", "topic": topic,
            "channel": channel, "event_ts": ts, "channel_type": "channel"}


def slack_connect(user: str, text: str, channel: str, **extra: Any) -> dict[str, Any]:
    """A message from another workspace in a Slack Connect channel."""
    return {**user_message(user, text, channel, **extra), "user_team": CUSTOMER_TEAM,
            "source_team": CUSTOMER_TEAM, "team": CUSTOMER_TEAM}
