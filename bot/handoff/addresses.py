"""Where a customer's replies go, from what the channel put on their latest message: the
outbox channel (sms, whatsapp, slack, webchat, rest) and the address on it."""

from __future__ import annotations

from typing import Any, Mapping, Optional


def reply_address(input_channel: Optional[str], sender_id: str,
                  metadata: Optional[Mapping[str, Any]]) -> tuple[str, str]:
    metadata = metadata or {}
    if input_channel == "twilio":
        return ("whatsapp" if sender_id.startswith("whatsapp:") else "sms"), sender_id
    if input_channel == "slack":
        slack = metadata.get("slack") or {}
        if slack.get("channel") and slack.get("thread_ts"):
            # The Slack outbox's recipient: "<channel>/<thread_ts>" (integrations.slack_api).
            return "slack", f"{slack['channel']}/{slack['thread_ts']}"
        return "slack", sender_id
    if input_channel == "webchat":
        return "webchat", sender_id
    return "rest", sender_id
