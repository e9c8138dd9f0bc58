"""Messages a channel could not record because the database was down: kept on the
server's disk (bot.messaging.inbound_spool) when the webhook's transaction fails, and
recorded, in the order they came, by the same transaction once the database answers
again; from there they are answered like any kept message. The provider is answered at
once either way (Twilio never delivers a webhook twice)."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any, Awaitable, Callable

from sqlalchemy import exc

from bot.messaging.inbound_spool import InboundSpool
from bot.runtime.app import ARApp

logger = logging.getLogger(__name__)

# What a webhook's transaction raises when the database cannot be reached (or, for
# SQLite, stays locked): the message is kept on disk instead of refused.
DATABASE_DOWN = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)


class SpooledReceipts:
    def __init__(self, app: ARApp, channel: str, receive: Callable[[dict], Any],
                 after: Callable[[Any, dict, Any], Awaitable[None]]):
        """receive(payload): the channel's webhook transaction (run in a thread), its
        result given to after(request, payload, result) on the event loop."""
        self.spool = InboundSpool(app.settings.state_dir)
        self.channel, self._receive, self._after = channel, receive, after

    def keep(self, payload: dict[str, Any]) -> None:
        self.spool.keep(self.channel, payload)

    async def record_kept(self, request: Any) -> int:
        """Record what waits on disk, if the database takes it; how many were."""
        if not self.spool.waiting():
            return 0
        recorded: list[tuple[dict, Any]] = []

        def take(_channel: str, payload: dict[str, Any]) -> None:
            recorded.append((payload, self._receive(payload)))

        try:
            await asyncio.to_thread(self.spool.hand_over, take)
        except DATABASE_DOWN:
            logger.info("%s messages kept on disk: the database is still down (%d)",
                        self.channel, self.spool.waiting())
        for payload, result in recorded:
            await self._after(request, payload, result)
        return len(recorded)

    async def run(self, sanic_app: Any, poll_seconds: float) -> None:
        request = SimpleNamespace(app=sanic_app)
        while True:
            try:
                await self.record_kept(request)
            except Exception:  # a bad round must not end the loop
                logger.exception("recording %s messages kept on disk failed", self.channel)
            await asyncio.sleep(poll_seconds)
