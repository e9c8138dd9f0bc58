"""The Slack channel for customers (Slack Connect channels, DMs, mentions): a Rasa
input channel named "slack" at /webhooks/slack/webhook.

Every request must carry Slack's signature (signing secret, 5-minute window) or gets
403. A verified event's delivery is recorded and its message kept (bot.messaging
.held_messages) in one transaction, then acknowledged (Slack wants a 200 within 3
seconds) and answered in the background (integrations/held_turns.py: a sender's messages
one at a time, in order, on whichever server claims them); an event_id already seen
(Slack's retries) and a message already seen (the same message as `message` and
`app_mention`) are acknowledged only, but a message of it still waiting (its server died
mid-turn) is answered by this server once its claim lapses.

Registered in credentials.yml as `integrations.slack_channel.SlackCustomerInput:`; the
configuration comes from bot.settings (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET,
SLACK_API_BASE_URL).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict
from functools import partial
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from slack_sdk.signature import SignatureVerifier

from bot import clock
from bot.messaging import channel_store, held_messages, holding_texts
from bot.messaging.held_messages import Held
from bot.runtime.app import ARApp
from bot.settings import Settings, get_settings
from integrations.document_senders import slack_file_sender
from integrations import handoff_hook
from integrations.held_turns import SenderGate
from integrations.receipt_threads import on_receipt_thread
from integrations.slack_api import SlackWebApi, slack_courier
from integrations.slack_conversation import CHANNEL, SlackConversation
from integrations.slack_events import NotAnEvent, SlackMessage, check_shape, customer_message

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def signed_by_slack(settings: Settings, request: Request) -> bool:
    """Whether Slack signed this request's body within the last five minutes."""
    try:
        return SignatureVerifier(settings.slack_signing_secret).is_valid(
            request.body, request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"))
    except (ValueError, UnicodeDecodeError):  # a timestamp or body that is not Slack's
        return False


def first_time_seen(app: ARApp, event_id: Optional[str], message: Optional[SlackMessage],
                    session: Optional[Any] = None) -> bool:
    """Record the event and the message it carries; False when either came before."""
    if session is None:
        with app.session() as own:
            return first_time_seen(app, event_id, message, own)
    new_event = not event_id or channel_store.first_delivery(
        session, CHANNEL, f"event:{event_id}", clock.now())
    return new_event and (message is None or channel_store.first_delivery(
        session, CHANNEL, f"message:{message.delivery_id}", clock.now()))


class SlackCustomerInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "SlackCustomerInput":
        return cls()

    def __init__(self, settings: Optional[Settings] = None):
        self.settings = settings or get_settings()
        self.configured = bool(self.settings.slack_signing_secret
                               and self.settings.slack_bot_token)
        if not self.configured:
            logger.warning("Slack channel not configured (SLACK_SIGNING_SECRET and "
                           "SLACK_BOT_TOKEN): Slack's requests will be refused")
        self.app = ARApp(self.settings)
        api = SlackWebApi(self.settings)
        self.courier = slack_courier(self.app, api, self.settings.outbox_first_retry_seconds,
                                     documents={CHANNEL: slack_file_sender(self.app, api)})
        self.conversation = SlackConversation(self.app, api, self.courier)
        self._answering: set[asyncio.Task] = set()
        self._retrying: Optional[asyncio.Task] = None
        self._on_new_message: Optional[OnNewMessage] = None
        self.gate = SenderGate(self.app, (CHANNEL,), self._answer_kept, self._notify,
                               failed_turns_kept=True)
        self._draining: Optional[asyncio.Task] = None

    def _kept(self, event_id: Optional[str], message: Optional[SlackMessage]
              ) -> tuple[bool, Optional[Any]]:
        """In one transaction, before Slack gets its 200: the delivery recorded and its
        message kept to be answered. (first time seen, the admission if kept)"""
        with self.app.session() as session:
            if not first_time_seen(self.app, event_id, message, session):
                return False, None
            if message is None:
                return True, None
            return True, self.gate.queue(session, CHANNEL, message.user, asdict(message))

    def _waiting(self, message: Optional[SlackMessage]) -> bool:
        if message is None:
            return False
        with self.app.session() as session:
            return held_messages.waiting(session, CHANNEL, message.user) > 0

    async def _notify(self, request: Any, channel: str, sender: str, payload: dict,
                      notice: str) -> None:
        """Tell the sender, in the message's thread, that their messages are kept."""
        await self.conversation.say(SlackMessage(**payload), request,
                                    partial(holding_texts.text, notice))

    def _notify_in_background(self, request: Any, message: SlackMessage,
                              notice: str) -> None:
        async def notify() -> None:
            try:
                await self._notify(request, CHANNEL, message.user, asdict(message), notice)
            except Exception:
                logger.exception("Slack: the holding notice for %s failed",
                                 message.delivery_id)

        task = asyncio.get_running_loop().create_task(notify())
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer_kept(self, request: Any, held: Held) -> None:
        await self.conversation.answer(SlackMessage(**held.payload), self._on_new_message,
                                       request, held)

    async def wait_for_answers(self) -> None:
        """Until the messages being answered are answered (tests, orderly stops)."""
        while self._answering or self.gate.answering:
            if self._answering:
                await asyncio.wait(list(self._answering))
            await self.gate.wait_for_kicked()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        slack = Blueprint("slack_customers_webhook", __name__)
        self._on_new_message = on_new_message

        @slack.listener("after_server_start")
        async def start_retrying(_app, _loop) -> None:
            if self.configured:
                self._retrying = asyncio.get_running_loop().create_task(
                    self.courier.run(self.settings.outbox_poll_seconds))
                self._draining = asyncio.get_running_loop().create_task(
                    self.gate.run(_app, self.settings.outbox_poll_seconds))

        @slack.listener("before_server_stop")
        async def stop_retrying(_app, _loop) -> None:
            for task in (self._retrying, self._draining):
                if task is not None:
                    task.cancel()
            await self.wait_for_answers()
            await self.gate.close()

        @slack.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok", "configured": self.configured})

        @slack.route("/webhook", methods=["POST"])
        async def webhook(request: Request):
            return await self.receive(request, on_new_message)

        return slack

    async def receive(self, request: Request,
                      on_new_message: OnNewMessage):
        """Slack's request answered: 403 unless configured and signed, the challenge of
        a url_verification, 400 for what is not JSON or not an Events API request (no
        type, an event_callback without an event), else 200 at once."""
        if not self.configured:
            logger.warning("Slack request refused: the Slack channel is not configured")
            return response.text("Slack is not configured", status=403)
        if not signed_by_slack(self.settings, request):
            logger.warning("Slack request refused: missing, wrong or stale signature")
            return response.text("invalid signature", status=403)
        try:
            payload = json.loads(request.body)
        except ValueError:
            return response.text("expected a JSON body", status=400)
        try:
            check_shape(payload)
        except NotAnEvent as wrong:
            logger.warning("Slack request refused: %s", wrong)
            return response.text(str(wrong), status=400)
        if payload.get("type") == "url_verification":
            return response.json({"challenge": payload.get("challenge")})
        return await self._acknowledge(payload, request, on_new_message)

    async def _acknowledge(self, payload: dict[str, Any], request: Request,
                           on_new_message: OnNewMessage):
        """200 at once; the message, if new and a customer's, answered in the background."""
        self._on_new_message = on_new_message
        if handoff_hook.takes_slack_event(payload):  # the AR channel: collectors, not customers
            return response.text("")
        message = customer_message(payload)
        event_id = payload.get("event_id") if isinstance(payload.get("event_id"), str) else None
        try:
            first, admission = await on_receipt_thread(self._kept, event_id, message)
        except Exception:  # not kept: Slack (and nginx, to another server) told so
            logger.exception("Slack event %s not kept", event_id)
            return response.text("not kept, try again", status=503)
        if not first:
            logger.info("Slack event %s already handled (retry %s): acknowledged only",
                        event_id, request.headers.get("X-Slack-Retry-Num", "-"))
            # Its message may still wait (its server died mid-turn): answered here.
            if await on_receipt_thread(self._waiting, message):
                self.gate.kick(request, CHANNEL, message.user)
        elif admission is not None:
            if admission.notice:
                self._notify_in_background(request, message, admission.notice)
            if admission.held_id is not None:
                self.gate.kick(request, CHANNEL, message.user, admission.claimed)
        return response.text("")
