"""The one call each customer channel makes before a message goes to the assistant, and
the loops that answer what is kept (bot.messaging.held_messages), in order, each once.

Web chat asks `SenderGate.admit` (the sender's rate limit and the action server's health
decide whether it goes now or is kept). SMS, WhatsApp and Slack keep every message:
`SenderGate.queue` in the webhook's own transaction, before the provider is acknowledged
(a message first in line is claimed for this server there and then), then `kick` answers
the sender's messages in the background (`drain_sender`): one at a time, claimed in the
ledger database so that of several servers and workers only one answers a sender at
once, the claim renewed while the turn runs; each answered message is finished in the
transaction that claims the sender's next. A turn that failed
because something it needs was down (the action server, the lock store, a database) is
kept and tried again with one holding notice per stretch; any other failure is tried
MAX_ANSWER_ATTEMPTS times. `SenderGate.run` (started with the server) looks every
poll for what waits: parked messages whose time has come, and claims left to lapse by a
server that died mid-turn.

The action server is the one Rasa itself calls (the agent's action endpoint), asked at
its /health; without an agent (a connector exercised without Rasa) it counts as up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, AsyncIterator, Awaitable, Callable, Optional, Sequence

import aiohttp
import redis.exceptions
import sqlalchemy.exc
from rasa.core.lock_store import LockError
from sqlalchemy.orm import Session

from bot.messaging import held_messages
from bot.messaging.held_messages import Admission, Held
from bot.messaging.holding_texts import RATE_LIMITED, UNAVAILABLE
from bot.messaging.rate_limits import RateLimit
from bot.runtime.app import ARApp
from bot.settings import actions_in_process
from integrations.outbox import masked
from integrations.rasa_operations import TurnNotSaved

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 2.0
# For channels whose turns are kept when the action server cannot be reached
# (rasa_operations.keep_failed_turns): an action server that passed its health check
# this recently counts as up without another. A drained queue asked before every turn,
# an HTTP round trip on both servers per message. One that went down since fails the
# turn that needs it, which is kept and parked as if the check had failed.
UP_FOR_SECONDS = 1.0
DRAINING_AT_ONCE = 8
# (request, held): answer a kept message as if it had just come, its replies queued with
# held_messages.answer_queued in the same transaction; the gate finishes it after
# (held_messages.finish_then_next), never the answer itself: SQLite gives a deleted row's
# id to the next message kept, which a second finish would delete.
Answer = Callable[[Any, Held], Awaitable[None]]
# (request, channel, sender, payload of the first message waiting, notice): tell the
# sender their messages wait (holding_texts).
Notify = Callable[[Any, str, str, dict, str], Awaitable[None]]
# What a turn raises when something it needs is down rather than the message at fault.
DEPENDENCY_ERRORS = (TurnNotSaved, LockError, OSError, asyncio.TimeoutError,
                     aiohttp.ClientError, sqlalchemy.exc.OperationalError,
                     sqlalchemy.exc.InterfaceError, sqlalchemy.exc.TimeoutError,
                     redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def dependency_down(error: BaseException) -> bool:
    """Whether error, or one it came from, says a service was down or unreachable."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, DEPENDENCY_ERRORS):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def rate_limit(app: ARApp) -> RateLimit:
    settings = app.settings
    return RateLimit(settings.rate_limit_messages, settings.rate_limit_window_seconds,
                     settings.rate_limit_max_held)


def _health_url(request: Any) -> Optional[str]:
    agent = getattr(getattr(getattr(request, "app", None), "ctx", None), "agent", None)
    endpoint = getattr(agent, "action_endpoint", None)
    url = getattr(endpoint, "url", None)
    if not url or actions_in_process(url):  # no action server: the actions run in this process
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
    def __init__(self, app: ARApp, channels: Sequence[str], answer: Answer,
                 notify: Optional[Notify] = None, failed_turns_kept: bool = False):
        self.app, self.channels, self._answer = app, tuple(channels), answer
        self._notify = notify
        self._up_for = UP_FOR_SECONDS if failed_turns_kept else 0.0
        self._client: Optional[aiohttp.ClientSession] = None  # one per server: cheap checks
        self._up_at: Optional[float] = None  # when the last health check passed (monotonic)
        self._kicked: set[asyncio.Task] = set()
        self.claim_timeout = timedelta(seconds=app.settings.inbound_claim_seconds)

    async def _up(self, request: Any) -> bool:
        if _health_url(request) is None:
            return True
        if self._up_at is not None and time.monotonic() - self._up_at < self._up_for:
            return True
        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession()
        up = await assistant_up(request, self._client)
        self._up_at = time.monotonic() if up else None
        return up

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

    def queue(self, session: Session, channel: str, sender: str,
              payload: dict[str, Any]) -> Admission:
        """Keep a message until answered, in the caller's transaction (the webhook's,
        which records the delivery too), claimed for this server when first in line
        (Admission.claimed); then `kick` the sender's queue with it."""
        admission = held_messages.queue(session, rate_limit(self.app), channel, sender,
                                        payload, self.app.now(), claim=True)
        if admission.dropped:
            logger.warning("%s message from %s dropped: more than %d kept already",
                           channel, masked(sender), self.app.settings.rate_limit_max_held)
        return admission

    def kick(self, request: Any, channel: str, sender: str,
             claimed: Optional[Held] = None) -> None:
        """Answer the sender's kept messages now, in the background (claimed: the one
        `queue` claimed for this server, first)."""
        async def answering() -> None:
            try:
                await self.drain_sender(request, channel, sender, claimed)
            except Exception:  # kept: the next round tries again
                logger.exception("%s messages of %s not answered yet", channel,
                                 masked(sender))

        task = asyncio.get_running_loop().create_task(answering())
        self._kicked.add(task)
        task.add_done_callback(self._kicked.discard)

    @property
    def answering(self) -> bool:
        """Whether turns started here by `kick` are under way."""
        return bool(self._kicked)

    async def wait_for_kicked(self) -> None:
        """Until the turns under way here are done (an orderly stop)."""
        while self._kicked:
            await asyncio.wait(list(self._kicked))

    @contextlib.asynccontextmanager
    async def _renewing(self, held: Held) -> AsyncIterator[None]:
        """Keep the claim on held alive while it is answered: a live server's turn,
        however long, is never taken over."""
        async def renew() -> None:
            while True:
                await asyncio.sleep(self.claim_timeout.total_seconds() / 3)
                try:
                    await asyncio.to_thread(self._in_session, held_messages.renew, held.id,
                                            self.app.now())
                except Exception:  # the database away for a moment: try at the next beat
                    logger.warning("claim on a kept %s message not renewed", held.channel)

        renewing = asyncio.get_running_loop().create_task(renew())
        try:
            yield
        finally:
            renewing.cancel()

    async def _park(self, request: Any, channel: str, sender: str) -> None:
        """The sender's messages wait for the assistant: one notice per stretch."""
        if self._notify is None:
            return
        payload = await asyncio.to_thread(self._in_session, held_messages.park_unavailable,
                                          channel, sender)
        if payload is not None:
            await self._notify(request, channel, sender, payload, UNAVAILABLE)

    async def drain_sender(self, request: Any, channel: str, sender: str,
                           claimed: Optional[Held] = None) -> int:
        """Answer the sender's kept messages, oldest first, one at a time, while they may
        be answered; how many were. claimed: the first, claimed for this server already."""
        answered, finished, held = 0, None, claimed
        while True:
            up = await self._up(request)
            if held is not None and not up:  # claimed at receipt: back in the queue
                await asyncio.to_thread(self._in_session, held_messages.release, held.id,
                                        False, rate_limit(self.app), self.app.now())
                held = None
            if held is None:
                held, notice = await asyncio.to_thread(
                    self._in_session, held_messages.finish_then_next, finished,
                    rate_limit(self.app), channel, sender, self.app.now(), up,
                    self.claim_timeout, self._notify is not None)
                finished = None
            if held is None:
                if not up:
                    await self._park(request, channel, sender)
                elif notice is not None:
                    await self._notify(request, channel, sender, notice, RATE_LIMITED)
                return answered
            if held.resumed:
                logger.info("%s message from %s taken over: its server stopped mid-turn",
                            channel, masked(sender))
            try:
                async with self._renewing(held):
                    await self._answer(request, held)
            except Exception as error:  # kept: tried again, still first in line
                down = dependency_down(error)
                if down:
                    self._up_at = None  # asked again before the next turn
                logger.warning("%s message from %s not answered yet (%s%s)", channel,
                               masked(sender), type(error).__name__,
                               ": a service it needs is down" if down else "",
                               exc_info=not down)
                if not await asyncio.to_thread(self._in_session, held_messages.release,
                                               held.id, not down, rate_limit(self.app),
                                               self.app.now()):
                    logger.error("kept %s message from %s given up after %d tries",
                                 channel, masked(sender), held_messages.MAX_ANSWER_ATTEMPTS)
                if down:
                    await self._park(request, channel, sender)
                return answered
            answered, finished, held = answered + 1, held.id, None

    async def drain(self, request: Any) -> int:
        """Answer what may be answered now of the kept messages; how many."""
        waiting = await asyncio.to_thread(self._in_session, held_messages.senders_waiting,
                                          self.channels)
        # Senders side by side (a dead server's conversations are all taken over at
        # once), a few at a time.
        room = asyncio.Semaphore(DRAINING_AT_ONCE)

        async def one(channel: str, sender: str) -> int:
            async with room:
                return await self.drain_sender(request, channel, sender)

        return sum(await asyncio.gather(*(one(c, s) for c, s in waiting)))

    async def run(self, sanic_app: Any, poll_seconds: float) -> None:
        """Answer kept messages until cancelled; sanic_app gives the Rasa agent."""
        request = SimpleNamespace(app=sanic_app)
        logger.info("answering kept %s messages, looking every %.1f s", "/".join(self.channels),
                    poll_seconds)
        while True:
            try:
                await self.drain(request)
            except Exception:  # a bad round must not end the loop
                logger.exception("kept messages round failed")
            await asyncio.sleep(poll_seconds)
