"""The assistant's replies as Slack messages: mrkdwn text, choices as a numbered list,
links kept clickable, and long replies split into messages Slack shows whole.

Pure functions: no Slack API, no Rasa. Cutting and numbering are bot.messaging.sms's, shared
with the text-message channels.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from bot.messaging.sms import numbered_choices, segment

# Slack truncates a message's text past 40,000 characters and advises keeping it under
# 4,000; longer replies are split between paragraphs, sentences or words below this.
DEFAULT_MAX_MESSAGE_CHARS = 4000

_URL = re.compile(r"https?://[^\s<>]+[^\s<>.,;:!?)\]'\"]")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def escape(text: str) -> str:
    """Slack's three control characters, escaped as Slack asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """Plain reply text as Slack mrkdwn: escaped, **bold** as *bold*, URLs as explicit
    <links> so they stay clickable whatever punctuation surrounds them."""
    parts, last = [], 0
    for match in _URL.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(f"<{escape(match.group(0))}>")
        last = match.end()
    parts.append(escape(text[last:]))
    return _BOLD.sub(r"*\1*", "".join(parts))


def message_text(message: Mapping[str, Any]) -> str:
    """One Rasa bot message as Slack mrkdwn; buttons become a numbered list answered
    with a number, images and attachments their (clickable) link."""
    text = message.get("text") or ""
    buttons = message.get("buttons") or message.get("quick_replies")
    if buttons:
        text = numbered_choices(text, buttons)
    extras = [message[key] for key in ("image", "attachment")
              if isinstance(message.get(key), str)]
    return mrkdwn("\n".join([text, *extras]).strip())


def slack_messages(messages: Iterable[Mapping[str, Any]],
                   max_chars: int = DEFAULT_MAX_MESSAGE_CHARS) -> list[str]:
    """The Slack texts, in order, that carry a turn's bot messages; a text longer than
    max_chars is cut between paragraphs, sentences or words."""
    return [part for message in messages
            for part in segment(message_text(message), max_chars) if part]


def choices_offered(messages: Iterable[Mapping[str, Any]]) -> list[dict]:
    """The choices a turn's messages offered, numbered as shown: the last message's with
    buttons, since the customer answers the latest list."""
    offered: list[dict] = []
    for message in messages:
        buttons = message.get("buttons") or message.get("quick_replies")
        if buttons:
            offered = [{"title": b.get("title", ""), "payload": b.get("payload", "")}
                       for b in buttons]
    return offered

