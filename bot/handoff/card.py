"""The handoff card in the AR channel, as Block Kit: who, why, the account's figures, open
disputes, plans and promises, the last messages (each non-English customer message with
the bot's English reading), what the bot did, who owns it and how long the customer has
waited; and the buttons. Pure data: integrations/ posts it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from bot.handoff.reasons import OUTCOMES, outcome_label, reason_label
from bot.handoff.service import waited_minutes
from bot.languages import DEFAULT_LANGUAGE
from bot.ledger.models import HandoffRequest

CLAIM, HAND_BACK, RESOLVE = "handoff_claim", "handoff_hand_back", "handoff_resolve"
MAX_TEXT = 2900  # a section's text may hold 3,000 characters
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German",
                  "pt": "Portuguese"}
CHANNEL_NAMES = {"sms": "SMS", "whatsapp": "WhatsApp", "slack": "Slack", "webchat": "web chat",
                 "rest": "REST API"}


def escaped(text: str) -> str:
    """Slack mrkdwn control characters as entities, so a customer cannot @-mention or link."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_TEXT]}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:MAX_TEXT]}]}


def message_line(message: dict[str, Any], translation: Optional[str] = None) -> str:
    """One transcript line as the card and thread show it."""
    who = {"customer": "Customer", "bot": "Bot"}.get(message["who"]) \
        or f"{message.get('name') or 'Collector'} (AR)"
    line = f"*{who}:* {escaped(message['text'])}"
    if message["who"] == "customer" and message.get("language") not in (None, DEFAULT_LANGUAGE):
        reading = message.get("reading") or "(no reading)"
        line += f"\n      _{LANGUAGE_NAMES.get(message['language'], message['language'])}; " \
                f"the bot reads: {escaped(reading)}_"
        if translation:
            line += f"\n      _translation: {escaped(translation)}_"
    return line


def _who(snapshot: dict[str, Any]) -> str:
    customer, contact = snapshot.get("customer"), snapshot.get("contact") or {}
    if not customer:
        return "*Unverified sender* (no account shown)"
    name = contact.get("name") or "a verified sender (account only)"
    reach = ", ".join(v for v in (contact.get("phone"), contact.get("email")) if v)
    return (f"*{escaped(customer['name'])}* ({customer['account_number']})\n"
            f"Contact: {escaped(name)}" + (f", {escaped(reach)}" if reach else ""))


def _owner(handoff: HandoffRequest, now: datetime) -> str:
    waited = waited_minutes(handoff, now)
    if handoff.status == "claimed":
        return f":raising_hand: Claimed by *{escaped(handoff.owner_name)}* (customer waited {waited} min)"
    if handoff.status == "returned":
        return ":robot_face: Handed back to the bot"
    if handoff.status == "resolved":
        return f":white_check_mark: Resolved: {outcome_label(handoff.outcome or 'other')}"
    return f":hourglass_flowing_sand: Unclaimed; the customer has waited {waited} min"


def _account(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    account = snapshot.get("account")
    if not account:
        return []
    aging = " · ".join(f"{bucket}: {value}" for bucket, value in account["aging"].items())
    lines = [f"*Open balance:* {account['open_total']}   *Overdue:* {account['overdue_total']}"
             f"   *Unapplied:* {account['unapplied_credits']}",
             f"*Aging:* {aging}"]
    if account.get("oldest_overdue"):
        lines.append(f"*Oldest overdue:* {account['oldest_overdue']}")
    for title, key in (("Open disputes", "disputes"), ("Plans", "plans"),
                       ("Promises", "promises")):
        items = snapshot.get(key) or []
        lines.append(f"*{title}:* " + ("; ".join(escaped(i) for i in items) if items else "none"))
    return [_section("\n".join(lines))]


def _buttons(handoff: HandoffRequest) -> list[dict[str, Any]]:
    if handoff.status not in ("requested", "claimed"):
        return []
    value = handoff.reference
    elements: list[dict[str, Any]] = []
    if handoff.status == "requested":
        elements.append({"type": "button", "action_id": CLAIM, "style": "primary",
                         "text": {"type": "plain_text", "text": "Claim"}, "value": value})
    elements.append({"type": "button", "action_id": HAND_BACK, "value": value,
                     "text": {"type": "plain_text", "text": "Hand back to the bot"}})
    elements.append({"type": "static_select", "action_id": RESOLVE,
                     "placeholder": {"type": "plain_text", "text": "Resolve…"},
                     "options": [{"text": {"type": "plain_text", "text": label},
                                  "value": f"{value}|{key}"} for key, label in OUTCOMES.items()]})
    return [{"type": "actions", "block_id": f"handoff:{value}", "elements": elements}]


def card_text(handoff: HandoffRequest) -> str:
    """The notification text (and what clients without blocks show)."""
    snapshot = handoff.snapshot or {}
    who = (snapshot.get("customer") or {}).get("name") or "an unverified sender"
    return f"Handoff {handoff.reference}: {who}, {reason_label(handoff.reason)}"


def card_blocks(handoff: HandoffRequest, now: datetime,
                translations: Optional[dict[int, str]] = None) -> list[dict[str, Any]]:
    snapshot = handoff.snapshot or {}
    channel = CHANNEL_NAMES.get(handoff.channel or "", handoff.channel or "unknown")
    language = LANGUAGE_NAMES.get(handoff.language or "", handoff.language or "unknown")
    collector = (snapshot.get("customer") or {}).get("collector_slack_id")
    header = f"*Handoff {handoff.reference}*: {reason_label(handoff.reason)}"
    if snapshot.get("detail"):
        header += f" ({escaped(snapshot['detail'])})"
    if collector and handoff.status == "requested":
        header += f"\nAccount collector: <@{collector}>"
    blocks = [_section(header), _section(_who(snapshot)),
              _context(f"Channel: {channel} · Language: {language} · "
                       f"Requested {handoff.created_at:%Y-%m-%d %H:%M} UTC")]
    blocks += _account(snapshot)
    said = snapshot.get("messages") or []
    if said:
        lines = [message_line(m, (translations or {}).get(i)) for i, m in enumerate(said)]
        while len(lines) > 1 and len("\n".join(lines)) > MAX_TEXT - 40:
            lines.pop(0)  # a section holds 3,000 characters: the latest messages matter most
        blocks.append(_section("*Last messages*\n" + "\n".join(lines)))
    did = snapshot.get("bot_did") or []
    blocks.append(_section("*The bot already:* " + ("; ".join(did) if did else "nothing yet")))
    blocks.append(_context(_owner(handoff, now)))
    return blocks + _buttons(handoff)
