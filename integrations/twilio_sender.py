"""Sending one text through Twilio's REST API with the official SDK, off the event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Optional

from twilio.rest import Client

from bot.settings import Settings

WHATSAPP = "whatsapp:"


def outbox_channel(address: str) -> str:
    """The outbox (and opt-out) channel of a Twilio address: whatsapp or sms."""
    return "whatsapp" if address.startswith(WHATSAPP) else "sms"


class TwilioSender:
    def __init__(self, settings: Settings):
        self._settings = settings
        self._threads = threading.local()

    def sender_for(self, recipient: str) -> str:
        """Our number for a recipient: the WhatsApp sender for whatsapp: ones, else the SMS one."""
        if outbox_channel(recipient) == "whatsapp":
            sender = self._settings.twilio_whatsapp_from
            if not sender:
                raise RuntimeError("TWILIO_WHATSAPP_FROM is not set")
            return sender if sender.startswith(WHATSAPP) else WHATSAPP + sender
        if not self._settings.twilio_from_number:
            raise RuntimeError("TWILIO_FROM_NUMBER is not set")
        return self._settings.twilio_from_number

    def _client(self) -> Client:
        """This thread's client: the SDK's HTTP session is not shared between threads,
        and a kept one reuses its connection to Twilio for the next send."""
        client = getattr(self._threads, "client", None)
        if client is None:
            client = Client(self._settings.twilio_account_sid,
                            self._settings.twilio_auth_token)
            client.api.base_url = self._settings.twilio_api_base_url
            self._threads.client = client
        return client

    def _create(self, recipient: str, body: str, **media: Any) -> Optional[str]:
        message = self._client().messages.create(to=recipient, body=body,
                                                 from_=self.sender_for(recipient), **media)
        return message.sid

    async def send_document(self, message) -> Optional[str]:
        """A document as a media message (WhatsApp document, MMS): Twilio fetches it
        from its signed link (MediaUrl)."""
        return await asyncio.to_thread(self._create, message.recipient, message.body,
                                       media_url=[message.media_url])

    async def send(self, recipient: str, body: str) -> Optional[str]:
        """Hand one message to Twilio; its message sid. Raises when Twilio refused it."""
        return await asyncio.to_thread(self._create, recipient, body)
