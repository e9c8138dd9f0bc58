"""The one call each customer channel makes before a message goes to the assistant
(`SenderGate.admit`): the sender's rate limit and the action server's health decide
whether it goes now or is kept (bot.messaging.held_messages), and the loop that answers
kept messages, in order, once they may go (`SenderGate.run`, started with the server).

The action server is the one Rasa itself calls (the agent's action endpoint), asked at
its /health; without an agent (a connector exercised without Rasa) it counts as up.
"""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any, Awaitable, Callable, Optional, Sequence

import aiohttp

from bot.messaging import held_messages
from bot.messaging.held_messages import Admission
from bot.messaging.rate_limits import RateLimit
from bot.runtime.app import ARApp
from integrations.outbox import masked

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 2.0
# (request, channel, sender, payload): answer a kept message as if it had just come.
Answer = Callable[[Any, str, str, dict], Awaitable[None]]


def rate_limit(app: ARApp) -> RateLimit:
    settings = app.settings
    return RateLimit(settings.rate_limit_messages, settings.rate_limit_window_seconds,
                     settings.rate_limit_max_held)


def _health_url(request: Any) -> Optional[str]:
    agent = getattr(getattr(getattr(request, "app", None), "ctx", None), "agent", None)
    endpoint = getattr(agent, "action_endpoint", None)
    url = getattr(endpoint, "url", None)
    if not url:
        return None
    base = url.rstrip("/")
    return (base[: -len("/webhook")] if base.endswith("/webhook") else base) + "/health"


async def assistant_up(request: Any, client: Optional[aiohttp.ClientSession] = None) -> bool:
    """Whether the action server answers its health check (every turn needs it)."""
    url = _health_url(request)
    if url is None:
        return True
    timeout = aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_SECONDS)
    try:
        if client is not None:
            async with client.get(url, timeout=timeout) as answer:
                return answer.status == 200
        async with aiohttp.ClientSession(timeout=timeout) as own:
            async with own.get(url) as answer:
                return answer.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
        return False


class SenderGate:
    def __init__(self, app: ARApp, channels: Sequence[str], answer: Answer):
        self.app, self.channels, self._answer = app, tuple(channels), answer
        self._client: Optional[aiohttp.ClientSession] = None  # one per server: cheap checks

    async def _up(self, request: Any) -> bool:
        if _health_url(request) is None:
            return True
        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession()
        return await assistant_up(request, self._client)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    def _in_session(self, operation: Callable[..., Any], *args: Any) -> Any:
        with self.app.session() as session:
            return operation(session, *args)

    async def admit(self, request: Any, channel: str, sender: str,
                    payload: dict[str, Any]) -> Admission:
        """Whether the message goes to the assistant now; if kept, the notice to send
        (holding_texts), at most one per stretch of kept messages."""
        up = await self._up(request)
        admission = await asyncio.to_thread(
            self._in_session, held_messages.admit, rate_limit(self.app), channel, sender,
            payload, self.app.now(), up)
        if admission.dropped:
            logger.warning("%s message from %s dropped: more than %d kept already",
                           channel, masked(sender), self.app.settings.rate_limit_max_held)
        elif not admission.to_assistant:
            logger.info("%s message from %s kept for later (%s)", channel, masked(sender),
                        "assistant down" if not up else "rate limit or earlier ones kept")
        return admission

    async def drain(self, request: Any) -> int:
        """Answer what may be answered now of the kept messages; how many."""
        answered = 0
        waiting = await asyncio.to_thread(self._in_session, held_messages.senders_waiting,
                                          self.channels)
        for channel, sender in waiting:
            while True:
                up = await self._up(request)
                held = await asyncio.to_thread(
                    self._in_session, held_messages.claim_next, rate_limit(self.app),
                    channel, sender, self.app.now(), up)
                if held is None:
                    break
                try:
                    await self._answer(request, channel, sender, held.payload)
                except Exception:  # kept: tried again next round, still first in line
                    logger.exception("kept %s message from %s not answered yet", channel,
                                     masked(sender))
                    if not await asyncio.to_thread(self._in_session, held_messages.release,
                                                   held.id):
                        logger.error("kept %s message from %s given up after %d tries",
                                     channel, masked(sender),
                                     held_messages.MAX_ANSWER_ATTEMPTS)
                    break
                await asyncio.to_thread(self._in_session, held_messages.finish, held.id)
                answered += 1
        return answered

    async def run(self, sanic_app: Any, poll_seconds: float) -> None:
        """Answer kept messages until cancelled; sanic_app gives the Rasa agent."""
        request = SimpleNamespace(app=sanic_app)
        while True:
            try:
                await self.drain(request)
            except Exception:  # a bad round must not end the loop
                logger.exception("kept messages round failed")
            await asyncio.sleep(poll_seconds)
