"""A collector's message on its way to the customer, on the customer's own channel, through
the same outbox and courier as the bot's replies there (the running Twilio and Slack
connectors'): SMS and WhatsApp segmented, Slack in the customer's thread; web chat shows it
from the transcript. Says what became of it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from bot.ledger.models import OutboundMessage
from bot.messaging import channel_store, sms
from bot.messaging.channel_store import Outgoing
from bot.messaging.slack_text import slack_messages
from bot.runtime.app import ARApp

CHANNEL_NAMES = {"sms": "SMS", "whatsapp": "WhatsApp", "slack": "Slack"}


@dataclass(frozen=True)
class Outcome:
    delivery: str  # delivered | pending | not_sent | failed
    detail: str
    outbox_ids: tuple[int, ...] = ()


def outbox_outcome(app: ARApp, channel: str, ids: tuple[int, ...]) -> Outcome:
    """What the outbox says of the messages now: all sent, still retrying, or given up."""
    with app.session() as session:
        rows = [session.get(OutboundMessage, i) for i in ids]
    name = CHANNEL_NAMES.get(channel, channel)
    if rows and all(r.status == "sent" for r in rows):
        return Outcome("delivered", f"delivered by {name}", ids)
    error = next((r.last_error for r in rows if r.last_error), None) or "not taken yet"
    if any(r.status in ("failed", "suppressed") for r in rows):
        return Outcome("failed", f"{name} did not take it ({error}); given up", ids)
    return Outcome("pending", f"{name} did not take it yet ({error}); retrying", ids)


class CustomerDelivery:
    def __init__(self, app: ARApp):
        self.app = app
        self.inputs: dict[str, Any] = {}  # the running input channels, by name

    def attach(self, input_channels: Any) -> None:
        self.inputs = {channel.name(): channel for channel in input_channels or []}

    def _twilio(self) -> Optional[Any]:
        channel = self.inputs.get("twilio")
        return channel if channel is not None and channel.configured else None

    def _slack(self) -> Optional[Any]:
        channel = self.inputs.get("slack")
        return channel if channel is not None and channel.configured else None

    async def send(self, channel: str, address: str, text: str) -> Outcome:
        if channel in ("sms", "whatsapp"):
            twilio = self._twilio()
            if twilio is None:
                return Outcome("not_sent", "Twilio is not configured on this server")
            bodies = sms.segment(text, sms.segment_chars(channel))
            return await self._through(twilio.courier, channel, address, bodies)
        if channel == "slack":
            slack = self._slack()
            if slack is None:
                return Outcome("not_sent", "Slack is not configured on this server")
            _, _, thread = address.partition("/")
            bodies = slack_messages([{"text": text}], self.app.settings.slack_max_message_chars)
            return await self._through(slack.courier, channel, address, bodies, thread or None)
        if channel == "webchat":
            return Outcome("delivered", "shown in the customer's web chat")
        return Outcome("delivered", "recorded in the transcript (the REST channel cannot "
                                    "push messages; the caller reads the tracker)")

    async def _through(self, courier: Any, channel: str, address: str, bodies: list[str],
                       thread: Optional[str] = None) -> Outcome:
        def queue() -> list[Outgoing]:
            with self.app.session() as session:
                return courier.queue(session, channel, address, bodies, self.app.now(),
                                     thread=thread)

        queued = await asyncio.to_thread(queue)
        await courier.deliver(channel, address, queued)
        return await asyncio.to_thread(outbox_outcome, self.app, channel,
                                       tuple(q.id for q in queued))


def is_opted_out(app: ARApp, channel: str, address: str) -> bool:
    with app.session() as session:
        return channel_store.is_opted_out(session, channel, address)


def metadata_of(message: Mapping[str, Any]) -> dict[str, Any]:
    return {k: message[k] for k in ("collector", "handoff_line", "handoff") if k in message}
