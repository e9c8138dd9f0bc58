"""How a simulated customer talks: over Rasa's REST channel (the reply is the response), or
as a phone over the signed Twilio webhook, or as a Slack user over the signed Slack events
webhook (the reply is what reaches the sink)."""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlencode

import aiohttp

from bot.bench.checks import Expect
from bot.bench.signing import slack_signature, twilio_signature
from bot.bench.sink import SLACK_TEAM, ReplySink

TWILIO_PATH = "/webhooks/twilio/webhook"
SLACK_PATH = "/webhooks/slack/webhook"
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


class WebhookCustomer:
    """Someone whose messages reach us as a provider's webhook and whose replies come
    back through the provider's API (the sink), where they are waited for under an
    address (a phone, a Slack channel)."""

    def __init__(self, session: aiohttp.ClientSession, sink: ReplySink, address: str):
        self.session, self.sink, self.address = session, sink, address

    def request(self, text: str) -> tuple[str, str, dict[str, str]]:
        """(url, body, headers) of the webhook delivering text."""
        raise NotImplementedError

    def read(self, received: str) -> str:
        """A reply as the customer's app shows it."""
        return received

    async def say(self, text: str, expect: Expect) -> Answer:
        url, body, headers = self.request(text)
        already = self.sink.count(self.address)
        start = time.monotonic()
        posting = asyncio.ensure_future(self._post(url, body, headers, start))
        reply, arrived = await self._wait_for_reply(already, expect, start, posting)
        ack_seconds, error = await posting
        if error:
            return Answer(reply, None, ack_seconds, error)
        if arrived is None:  # nothing came: an error; something else came: a wrong reply
            return Answer(reply, None, ack_seconds,
                          None if reply else "no reply reached the provider's API")
        if start + ack_seconds < arrived:
            await asyncio.sleep(SETTLE_SECONDS)  # answered before sending: more may follow
        return Answer(reply, arrived - start, ack_seconds)

    async def _post(self, url: str, body: str, headers: dict, start: float
                    ) -> tuple[Optional[float], Optional[str]]:
        try:
            async with self.session.post(url, data=body.encode("utf-8"),
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
        answered, something came, and nothing more for QUIET_SECONDS."""
        deadline = start + REPLY_TIMEOUT_SECONDS
        while True:
            received = self.sink.since(self.address, already)
            text = "\n".join(self.read(r.body) for r in received)
            if received and expect.satisfied(text):
                return text, received[-1].at
            left = deadline - time.monotonic()
            if left <= 0:
                return text, None
            # Until something came, the reply may still be on its way (a webhook that
            # answers first and replies after); a wrong one is let finish, then judged.
            judging = posting.done() and bool(received)
            wait = min(left, QUIET_SECONDS) if judging else min(left, 1.0)
            if not await self.sink.next_arrival(self.address, wait) and judging \
                    and wait >= QUIET_SECONDS:
                return text, None


class SmsPhone(WebhookCustomer):
    """A phone texting our number: Twilio's signed form post."""

    def __init__(self, session: aiohttp.ClientSession, account: TwilioAccount,
                 sink: ReplySink, phone: str):
        super().__init__(session, sink, phone)
        self.account, self.phone = account, phone

    def request(self, text: str) -> tuple[str, str, dict[str, str]]:
        sid = "SM" + uuid.uuid4().hex
        form = [("ToCountry", "US"), ("SmsMessageSid", sid), ("NumMedia", "0"),
                ("FromCity", ""), ("SmsSid", sid), ("SmsStatus", "received"),
                ("Body", text), ("To", self.account.our_number), ("NumSegments", "1"),
                ("MessageSid", sid), ("AccountSid", self.account.account_sid),
                ("From", self.phone), ("ApiVersion", "2010-04-01")]
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": twilio_signature(self.account.auth_token,
                                                          self.account.public_url, form)}
        return self.account.webhook_url, urlencode(form), headers


@dataclass(frozen=True)
class SlackApp:
    """Where Slack delivers our app's events, and the secret it signs them with."""

    events_url: str
    signing_secret: str
    team: str = SLACK_TEAM


_SLACK_LINK = re.compile(r"<([^<>|]+)(?:\|[^<>]*)?>")


class SlackUser(WebhookCustomer):
    """A contact writing to the app in a direct message: Slack's signed event."""

    def __init__(self, session: aiohttp.ClientSession, app: SlackApp, sink: ReplySink,
                 user: str):
        self.channel = "D" + user[1:]  # their direct-message channel with the app
        super().__init__(session, sink, self.channel)
        self.app, self.user = app, user

    def request(self, text: str) -> tuple[str, str, dict[str, str]]:
        ts = f"{time.time():.6f}"
        event = {"type": "message", "user": self.user, "text": text, "ts": ts,
                 "team": self.app.team, "channel": self.channel, "event_ts": ts,
                 "channel_type": "im", "client_msg_id": str(uuid.uuid4())}
        body = json.dumps({"token": "bench", "team_id": self.app.team, "api_app_id": "A0BENCH",
                           "event": event, "type": "event_callback",
                           "event_id": "Ev" + uuid.uuid4().hex[:16].upper(),
                           "event_time": int(time.time())})
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                   "X-Slack-Signature": slack_signature(self.app.signing_secret, stamp, body)}
        return self.app.events_url, body, headers

    def read(self, received: str) -> str:
        """Slack's markup as the app shows it: <link|label> as the link, entities undone."""
        return html.unescape(_SLACK_LINK.sub(r"\1", received))
