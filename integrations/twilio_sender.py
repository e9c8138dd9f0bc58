"""Sending one text through Twilio's REST API with the official SDK and its asynchronous
HTTP client (aiohttp). A send waits for Twilio on the event loop, not on one of the loop's
few threads (six on two cores), which the turns' actions and bookkeeping share, and gives
up after SEND_TIMEOUT_SECONDS: the SDK's blocking client had no timeout, so a Twilio that
never answered held its thread for ever (README, "Speed")."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any, Optional

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from bot.settings import Settings

WHATSAPP = "whatsapp:"


def outbox_channel(address: str) -> str:
    """The outbox (and opt-out) channel of a Twilio address: whatsapp or sms."""
    return "whatsapp" if address.startswith(WHATSAPP) else "sms"


# A send Twilio has not answered by then fails and is retried by the outbox.
SEND_TIMEOUT_SECONDS = 15.0


class TwilioSender:
    def __init__(self, settings: Settings):
        self._settings = settings
        # One client per event loop: its HTTP session (kept connections to Twilio) belongs
        # to the loop it was made on.
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

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
        """This event loop's client. No retries of its own: a POST retried after a lost
        answer could text the customer twice; the outbox retries what failed."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = Client(self._settings.twilio_account_sid,
                            self._settings.twilio_auth_token,
                            http_client=AsyncTwilioHttpClient())
            client.api.base_url = self._settings.twilio_api_base_url
            self._clients[loop] = client
        return client

    async def _create(self, recipient: str, body: str, **media: Any) -> Optional[str]:
        # The SDK's asynchronous client does not apply a timeout of its own (twilio 8.2).
        message = await asyncio.wait_for(self._client().messages.create_async(
            to=recipient, body=body, from_=self.sender_for(recipient), **media),
            SEND_TIMEOUT_SECONDS)
        return message.sid

    async def send_document(self, message) -> Optional[str]:
        """A document as a media message (WhatsApp document, MMS): Twilio fetches it
        from its signed link (MediaUrl)."""
        return await self._create(message.recipient, message.body,
                                  media_url=[message.media_url])

    async def send(self, recipient: str, body: str) -> Optional[str]:
        """Hand one message to Twilio; its message sid. Raises when Twilio refused it."""
        return await self._create(recipient, body)

    async def close(self) -> None:
        """Close this event loop's connections to Twilio (the server stopping)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.http_client.close()
