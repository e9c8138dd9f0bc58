"""The AR team's side of the Slack app, as a Rasa input channel named "slack_handoff":
interactivity (Claim, Hand back, Resolve) at /webhooks/slack/interactive through slack-bolt,
verified with the signing secret and acknowledged before any work; the collectors' thread
replies arrive with the customer events at /webhooks/slack/webhook and are handed here
(integrations.handoff_hook); Socket Mode (SLACK_APP_TOKEN) carries both without a public
URL. Its output channel is the relay Rasa's API sends collectors' messages through.

Registered in credentials.yml as `integrations.handoff_slack.HandoffSlackInput:`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from slack_bolt.adapter.sanic import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.internals import parse_body

from bot.handoff.card import CLAIM, HAND_BACK, RESOLVE
from bot.settings import Settings, get_settings
from integrations import handoff_hook
from integrations.handoff_desk import RELAY_CHANNEL, HandoffDesk, RelayOutput
from integrations.slack_channel import first_time_seen, signed_by_slack
from integrations.slack_events import customer_message

logger = logging.getLogger(__name__)


def bolt_app(desk: HandoffDesk,
             customer_event: Callable[[dict[str, Any]], Awaitable[None]]) -> AsyncApp:
    """The slack-bolt app: each listener acknowledges first, then does the work."""
    app = AsyncApp(token=desk.settings.slack_bot_token,
                   signing_secret=desk.settings.slack_signing_secret, client=desk.client,
                   process_before_response=False)

    def clicked(body: dict[str, Any]) -> tuple[str, Optional[str]]:
        user = body.get("user") or {}
        return user.get("id", ""), user.get("name") or user.get("username")

    @app.action(CLAIM)
    async def claim(ack, body, action):
        await ack()
        user, name = clicked(body)
        await desk.claim(action.get("value", ""), user, name)

    @app.action(HAND_BACK)
    async def hand_back(ack, body, action):
        await ack()
        user, name = clicked(body)
        await desk.hand_back(action.get("value", ""), user, name)

    @app.action(RESOLVE)
    async def resolve(ack, body, action):
        await ack()
        user, name = clicked(body)
        reference, _, outcome = ((action.get("selected_option") or {}).get("value")
                                 or "").partition("|")
        await desk.resolve(reference, outcome, user, name)

    @app.event("message")
    async def message(body, event):
        # Reached over Socket Mode only: over HTTP, events go to the customer channel's
        # webhook, which hands the AR channel's to the desk.
        if desk.is_ar_event(event):
            await desk.collector_event(body)
        else:
            await customer_event(body)

    @app.event("app_mention")
    async def mention(body):
        await customer_event(body)

    return app


NOT_INTERACTIVE = "expected Slack's interactive payload"


def interactive_payload(body: bytes, content_type: Optional[str]) -> bool:
    """Whether a body is what Slack posts for a button (a JSON object, as a form's
    `payload` or whole); slack-bolt answers anything else with a 500."""
    try:
        parsed = parse_body(body.decode("utf-8"), content_type)
    except (ValueError, UnicodeDecodeError):  # json's errors are ValueErrors
        return False
    return isinstance(parsed, dict) and isinstance(parsed.get("type"), str)


class HandoffSlackInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return RELAY_CHANNEL

    def url_prefix(self) -> str:
        return "slack"  # /webhooks/slack/interactive, beside the customer events

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "HandoffSlackInput":
        return cls()

    def __init__(self, settings: Optional[Settings] = None):
        self.settings = settings or get_settings()
        self.desk = HandoffDesk(self.settings)
        self.bolt = bolt_app(self.desk, self.customer_event) if self.desk.configured else None
        self._on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]] = None
        self._loop: Optional[asyncio.Task] = None
        self._socket: Optional[Any] = None
        handoff_hook.register(self.desk)
        if not self.desk.configured:
            logger.warning("Slack handoff not configured (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, "
                           "SLACK_HANDOFF_CHANNEL): handoffs are recorded, no card is posted")

    def get_output_channel(self) -> RelayOutput:
        return RelayOutput(self.desk)

    async def customer_event(self, payload: dict[str, Any]) -> None:
        """A customer's Slack message that came over Socket Mode: answered by the
        customer channel as if it had come to its webhook (retries taken once)."""
        slack = self.desk.delivery.inputs.get("slack")
        message = customer_message(payload)
        if slack is None or message is None or self._on_new_message is None:
            return
        event_id = payload.get("event_id") if isinstance(payload.get("event_id"), str) else None
        if await asyncio.to_thread(first_time_seen, slack.app, event_id, message):
            await slack.conversation.answer(message, self._on_new_message)

    async def _start(self, app: Any) -> None:
        self.desk.delivery.attach(getattr(app.ctx, "input_channels", None))
        self._loop = asyncio.get_running_loop().create_task(
            self.desk.run(self.settings.outbox_poll_seconds))
        if self.bolt is not None and self.settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.bolt, self.settings.slack_app_token)
            await self._socket.connect_async()
            logger.info("Slack handoff: Socket Mode connected")

    async def _stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
        if self._socket is not None:
            await self._socket.close_async()
        await self.desk.settle()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("slack_handoff", __name__)
        self._on_new_message = on_new_message
        handler = AsyncSlackRequestHandler(self.bolt) if self.bolt is not None else None

        @hook.listener("after_server_start")
        async def start(app, _loop) -> None:
            await self._start(app)

        @hook.listener("before_server_stop")
        async def stop(_app, _loop) -> None:
            await self._stop()

        @hook.route("/interactive", methods=["POST"])
        async def interactive(request: Request):
            if handler is None:
                logger.warning("Slack interactivity refused: the handoff is not configured")
                return response.text("Slack handoff is not configured", status=403)
            if not signed_by_slack(self.settings, request):
                return response.text("invalid signature", status=401)
            if not interactive_payload(request.body, request.headers.get("content-type")):
                return response.text(NOT_INTERACTIVE, status=400)
            try:
                return await handler.handle(request)
            except (TypeError, KeyError, AttributeError, IndexError, ValueError):
                # slack-bolt reads fields by their shape in Slack's payloads; signed but
                # shaped otherwise, it is none of Slack's (the listeners run after this).
                logger.warning("Slack interactivity refused: a payload of another shape")
                return response.text(NOT_INTERACTIVE, status=400)

        return hook
