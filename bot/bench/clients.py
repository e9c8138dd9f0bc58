"""How a simulated customer talks: over Rasa's REST channel (the reply is the response), or
as a phone over the signed Twilio webhook (the reply is what reaches the sink)."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlencode

import aiohttp

from bot.bench.checks import Expect
from bot.bench.signing import twilio_signature
from bot.bench.sink import ReplySink

TWILIO_PATH = "/webhooks/twilio/webhook"
REPLY_TIMEOUT_SECONDS = 30.0
# A webhook that answered before its reply was sent may have more segments on their way:
# they are let in before the next message, not read as its reply (not counted as latency).
SETTLE_SECONDS = 0.05
QUIET_SECONDS = 3.0


@dataclass
class Answer:
    """One message's outcome: the reply text, seconds from sending to the reply, the
    webhook's acknowledgement time (SMS), and an error (no reply, a failed request)."""

    text: str = ""
    seconds: Optional[float] = None
    ack_seconds: Optional[float] = None
    error: Optional[str] = None


class RestClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, sender: str):
        self.session, self.url, self.sender = session, f"{base_url}/webhooks/rest/webhook", sender

    async def say(self, text: str, _expect: Expect) -> Answer:
        start = time.monotonic()
        try:
            async with self.session.post(self.url, json={"sender": self.sender,
                                                         "message": text}) as response:
                if response.status != 200:
                    return Answer(error=f"HTTP {response.status}")
                messages = await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            return Answer(error=f"{type(error).__name__}: {error}")
        reply = "\n".join(m.get("text") or "" for m in messages if isinstance(m, dict))
        return Answer(reply, time.monotonic() - start)


@dataclass(frozen=True)
class TwilioAccount:
    """What a phone needs to post as Twilio: where, signed for which public URL, with
    which token, to which of our numbers."""

    webhook_url: str  # where the server listens (loopback)
    public_url: str  # what Twilio is configured to call, which the signature covers
    account_sid: str
    auth_token: str
    our_number: str


class SmsPhone:
    def __init__(self, session: aiohttp.ClientSession, account: TwilioAccount,
                 sink: ReplySink, phone: str):
        self.session, self.account, self.sink, self.phone = session, account, sink, phone

    def _form(self, text: str) -> list[tuple[str, str]]:
        sid = "SM" + uuid.uuid4().hex
        return [("ToCountry", "US"), ("SmsMessageSid", sid), ("NumMedia", "0"),
                ("FromCity", ""), ("SmsSid", sid), ("SmsStatus", "received"),
                ("Body", text), ("To", self.account.our_number), ("NumSegments", "1"),
                ("MessageSid", sid), ("AccountSid", self.account.account_sid),
                ("From", self.phone), ("ApiVersion", "2010-04-01")]

    async def say(self, text: str, expect: Expect) -> Answer:
        form = self._form(text)
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": twilio_signature(self.account.auth_token,
                                                          self.account.public_url, form)}
        already = self.sink.count(self.phone)
        start = time.monotonic()
        posting = asyncio.ensure_future(self._post(urlencode(form), headers, start))
        reply, arrived = await self._wait_for_reply(already, expect, start, posting)
        ack_seconds, error = await posting
        if error:
            return Answer(reply, None, ack_seconds, error)
        if arrived is not None and start + ack_seconds < arrived:
            await asyncio.sleep(SETTLE_SECONDS)  # answered before sending: more may follow
        if arrived is None:
            return Answer(reply, None, ack_seconds, "no reply reached the Messages API")
        return Answer(reply, arrived - start, ack_seconds)

    async def _post(self, body: str, headers: dict, start: float
                    ) -> tuple[Optional[float], Optional[str]]:
        try:
            async with self.session.post(self.account.webhook_url, data=body,
                                         headers=headers) as response:
                await response.read()
                if response.status != 200:
                    return None, f"webhook HTTP {response.status}"
                return time.monotonic() - start, None
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            return None, f"{type(error).__name__}: {error}"

    async def _wait_for_reply(self, already: int, expect: Expect, start: float,
                              posting: asyncio.Future) -> tuple[str, Optional[float]]:
        """What arrived until it makes a right reply (its last segment's arrival time), or
        what arrived by the timeout (None). A wrong reply is known once the webhook has
        answered and nothing more came for QUIET_SECONDS."""
        deadline = start + REPLY_TIMEOUT_SECONDS
        while True:
            received = self.sink.since(self.phone, already)
            text = "\n".join(r.body for r in received)
            if received and expect.satisfied(text):
                return text, received[-1].at
            left = deadline - time.monotonic()
            wait = min(left, QUIET_SECONDS) if posting.done() else min(left, 1.0)
            if left <= 0:
                return text, None
            if not await self.sink.next_arrival(self.phone, wait) and posting.done() \
                    and wait >= QUIET_SECONDS:
                return text, None
