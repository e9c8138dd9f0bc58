"""What the Rasa server adds for operations: /health/live, /health/ready and /metrics on
its own app, a count and a latency for every customer message, a count of refused
webhooks, and one redacted log event per turn (`integrations/rasa_server.py` installs it).

Instrumented at the three places every channel passes through, so that no channel needs
its own code: the Sanic app Rasa builds (`rasa.core.run.configure_app`), the agent's
`handle_message` (one call per customer message, whatever the channel) and the
processor's `save_tracker` (where the turn's language and intent are known); and a
custom action whose server cannot be reached is counted where Rasa calls it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from typing import Any, Optional
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import rasa.core.run
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.processor import MessageProcessor
from sanic import Sanic
from sanic.request import Request

from bot.db import Database
from bot.handoff.frustration import detector, detector_trained
from bot.observability import health, logs, metrics
from bot.settings import Settings, get_settings
from integrations import in_process_actions, worker_memory
from integrations.operations import add_routes
from integrations.per_process import PerProcess

logger = logging.getLogger(__name__)
turn_logger = logging.getLogger("ar.turn")

# When the webhook request carrying the message arrived (copied into background tasks).
_arrived: contextvars.ContextVar[Optional[float]] = contextvars.ContextVar(
    "ar_arrived", default=None)
# What save_tracker learnt about the turn being handled.
_turn: contextvars.ContextVar[Optional[dict]] = contextvars.ContextVar("ar_turn", default=None)
# Set by a channel that keeps its messages until answered (integrations/held_turns.py):
# a turn whose action server could not be reached is then not saved but raised, so that
# the message is answered again, whole, once it is back (Rasa would save the turn with
# the action's events lost and nothing said).
_keep_failed_turns: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "ar_keep_failed_turns", default=False)
# An action server behind nginx that is down answers 502-504 rather than not at all.
_UNREACHABLE_STATUSES = (502, 503, 504)


class TurnNotSaved(Exception):
    """The action server could not be reached during the turn: nothing of it was saved."""


def keep_failed_turns() -> None:
    """From here on in this task, a turn that could not reach its action server raises
    TurnNotSaved instead of being saved without its answer."""
    _keep_failed_turns.set(True)


def action_server_health_url(action_server_url: str) -> str:
    """The action server's /health beside its /webhook."""
    parts = urlsplit(action_server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/health", "", ""))


def readiness_checks(settings: Settings, request: Request) -> dict[str, health.Check]:
    agent: Optional[Agent] = getattr(request.app.ctx, "agent", None)

    def model() -> Optional[str]:
        return None if agent is not None and agent.is_ready() else "no model loaded yet"

    def frustration_model() -> Optional[str]:
        # Trained as each worker starts (below), in about a second of CPU that would
        # otherwise hold up the first customers' turns; then the worker's memory frozen.
        if not detector_trained():
            return "the frustration model is still training"
        return None if worker_memory.frozen() else "the worker is still starting"

    checks = {"model": model, "frustration_model": frustration_model,
              "ar_database": health.database_check(settings.ar_database_url),
              "tracker_store": health.database_check(settings.tracker_store_url)}
    if not settings.actions_in_process:
        checks["action_server"] = health.http_check(
            action_server_health_url(settings.action_server_url))
    # Rasa's RedisLockStore and ours (integrations/lock_store.py) keep their client in .red
    redis_client = getattr(getattr(agent, "lock_store", None), "red", None)
    if redis_client is not None:
        checks["lock_store"] = lambda: None if redis_client.ping() else "no answer"
    return checks


def _train_then_freeze() -> None:
    """The worker's frustration model trained and its actions made, then all it holds by
    now frozen (integrations/worker_memory.py)."""
    detector()
    if get_settings().actions_in_process:
        in_process_actions.warm()
    frozen = worker_memory.freeze()
    logger.info("worker started: %d objects frozen out of garbage collection", frozen)


def _channel_of(path: str) -> Optional[str]:
    """'twilio' for /webhooks/twilio/webhook; None for Rasa's API and our own routes."""
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "webhooks" else None


def instrument_app(app: Sanic, settings: Settings) -> None:
    add_routes(app, lambda request: readiness_checks(settings, request))
    metrics.watch_ledger(Database(settings.ar_database_url))

    @app.listener("after_server_start")
    async def train_frustration_model(app: Sanic, _loop) -> None:
        app.ctx.frustration_training = asyncio.get_running_loop().run_in_executor(
            None, _train_then_freeze)

    @app.middleware("request")
    async def stamp_arrival(request: Request) -> None:
        _arrived.set(time.monotonic())

    @app.middleware("response")
    async def count_refusals(request: Request, reply) -> None:
        channel = _channel_of(request.path)
        if channel and reply is not None and 400 <= reply.status < 500:
            metrics.webhook_rejected(channel, reply.status)


def _channel(message: Any) -> str:
    """sms or whatsapp for Twilio (its connector says which), else the input channel."""
    return (message.metadata or {}).get("channel") or message.input_channel or "unknown"


def turn_slots(at_once: int) -> Optional[asyncio.Semaphore]:
    """Room for at_once turns at a time (None: no limit)."""
    return asyncio.Semaphore(at_once) if at_once > 0 else None


# Of this worker: a turn runs on its event loop (NLU, policies, actions) for tens of
# milliseconds at a time, and every turn under way puts its steps in the loop's queue, in
# front of the webhooks waiting to be acknowledged. A few at once keep the CPU as busy and
# the queue short; the rest wait their turn (README, "Speed").
TURN_SLOTS = PerProcess(lambda: turn_slots(get_settings().turns_at_once))


async def _handle_message(self: Agent, message: Any, _original=Agent.handle_message):
    started = _arrived.get() or time.monotonic()
    turn: dict = {}
    _turn.set(turn)
    channel = _channel(message)
    with logs.turn(message.sender_id, message.text):
        try:
            async with TURN_SLOTS.get() or contextlib.nullcontext():
                return await _original(self, message)
        finally:
            seconds = time.monotonic() - started
            metrics.message_received(channel, turn.get("language"))
            metrics.reply_sent(channel, seconds)
            replies = len(getattr(message.output_channel, "messages", None) or [])
            turn_logger.info("turn", extra={
                "event": "turn", "channel": channel, "language": turn.get("language"),
                "intent": turn.get("intent"), "latency_ms": round(seconds * 1000, 1),
                **({"replies": replies} if replies else {})})


async def _save_tracker(self: MessageProcessor, tracker: Any,
                        _original=MessageProcessor.save_tracker) -> None:
    turn = _turn.get()
    if turn is not None and turn.get("unreachable") and _keep_failed_turns.get():
        raise TurnNotSaved(f"action {turn['unreachable']} could not be reached")
    if turn is not None:
        turn["language"] = tracker.get_slot("language")
        turn["intent"] = (tracker.latest_message.intent or {}).get("name") \
            if tracker.latest_message else None
    await _original(self, tracker)


async def _run_remote_action(self: RemoteAction, *args: Any,
                             _original=RemoteAction.run, **kwargs: Any) -> Any:
    try:
        return await _original(self, *args, **kwargs)
    except Exception as error:
        # An action server that answered is counted there; one that could not be reached
        # only here.
        cause = error.__context__ or error
        if isinstance(cause, (aiohttp.ClientConnectionError, asyncio.TimeoutError)):
            metrics.action_failed(self.name(), "unreachable")
        turn = _turn.get()
        if turn is not None and (
                isinstance(cause, (aiohttp.ClientConnectionError, asyncio.TimeoutError))
                or getattr(cause, "status", None) in _UNREACHABLE_STATUSES):
            turn["unreachable"] = self.name()
        raise


def install(settings: Optional[Settings] = None) -> None:
    """Hook into the Rasa server that is about to be started in this process."""
    settings = settings or get_settings()
    logs.configure_process("rasa", settings)
    configure_app = rasa.core.run.configure_app

    def configure_instrumented_app(*args: Any, **kwargs: Any) -> Sanic:
        app = configure_app(*args, **kwargs)
        instrument_app(app, settings)
        logs.configure_process("rasa", settings)  # after Rasa and Sanic set up theirs
        return app

    rasa.core.run.configure_app = configure_instrumented_app
    Agent.handle_message = _handle_message
    MessageProcessor.save_tracker = _save_tracker
    RemoteAction.run = _run_remote_action
