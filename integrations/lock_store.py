"""The conversation lock every Rasa server takes before handling a message: Rasa's
in-memory lock store for one process, an SQLite file for the servers and workers of one
machine (integrations/sqlite_lock_store.py), a Redis ticket queue shared by several.

Rasa 3.6's RedisLockStore reads the lock as JSON, issues a ticket and writes it back in
three separate calls (rasa#9213): two servers that receive messages of one conversation at
once can read the same lock, draw the same ticket and both handle their message at once,
so turns are lost, doubled or reordered. Here each step is one atomic Redis operation:
tickets are drawn with INCR and queued in a sorted set in one Lua script, and a server
goes when its ticket is the first of the queue. A ticket is kept alive (a key with a short
expiry) by whoever holds or waits for it, so a killed server's ticket frees its
conversation within a few seconds instead of Rasa's 60-second lock lifetime.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore

from integrations.sqlite_lock_store import SQLiteLockStore

logger = logging.getLogger(__name__)

# A ticket whose holder stopped refreshing it (a killed server) is dropped after this.
TICKET_LEASE_SECONDS = 5.0
# How often a waiting server looks whether its turn has come (Rasa's own waits 1 s).
POLL_SECONDS = 0.02
KEY_PREFIX = "ar-lock:"
# Queue and counter of a conversation nobody has written to for a day are dropped.
IDLE_EXPIRY_SECONDS = 86400

# KEYS: counter, queue; ARGV: ticket key prefix, lease ms, idle seconds -> the ticket.
_ISSUE = """
local ticket = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ticket, ticket)
redis.call('SET', ARGV[1] .. ticket, '1', 'PX', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return ticket
"""

# KEYS: queue; ARGV: ticket key prefix, my ticket, lease ms.
# 1: my turn; 0: wait; -1: my ticket is gone (it expired). Heads whose holder died go.
_TURN = """
if redis.call('PEXPIRE', ARGV[1] .. ARGV[2], ARGV[3]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[2])
  return -1
end
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if not head then return -1 end
  if head == ARGV[2] then return 1 end
  if redis.call('EXISTS', ARGV[1] .. head) == 1 then return 0 end
  redis.call('ZREM', KEYS[1], head)
end
"""


class ConversationLockStore(LockStore):
    """endpoints.yml `lock_store: {type: integrations.lock_store.ConversationLockStore,
    url: ${LOCK_STORE_URL}}`."""

    def __new__(cls, endpoint_config=None, **_kwargs):
        url = getattr(endpoint_config, "url", None) or ""
        if not url:  # one process: exactly Rasa's in-memory lock store
            return InMemoryLockStore()
        if url.startswith("sqlite:"):  # the servers and workers of one machine
            return SQLiteLockStore(endpoint_config)
        return super().__new__(cls)

    def __init__(self, endpoint_config=None, **_kwargs) -> None:
        import redis

        self.red = redis.Redis.from_url(endpoint_config.url, socket_timeout=10,
                                        socket_connect_timeout=5)
        self._issue = self.red.register_script(_ISSUE)
        self._turn = self.red.register_script(_TURN)
        super().__init__()

    @staticmethod
    def _keys(conversation_id: Text) -> tuple[str, str, str]:
        base = KEY_PREFIX + conversation_id
        return base + ":next", base + ":queue", base + ":ticket:"

    def issue_ticket(self, conversation_id: Text,
                     lock_lifetime: float = LOCK_LIFETIME) -> int:
        counter, queue, ticket_prefix = self._keys(conversation_id)
        try:
            return int(self._issue(keys=[counter, queue], args=[
                ticket_prefix, int(TICKET_LEASE_SECONDS * 1000), IDLE_EXPIRY_SECONDS]))
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def _my_turn(self, conversation_id: Text, ticket: int) -> int:
        _counter, queue, ticket_prefix = self._keys(conversation_id)
        return int(self._turn(keys=[queue], args=[ticket_prefix, ticket,
                                                  int(TICKET_LEASE_SECONDS * 1000)]))

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        keeper: Optional[asyncio.Task] = None
        try:
            await self._wait_for_turn(conversation_id, ticket, lock_lifetime)
            keeper = asyncio.ensure_future(self._keep_alive(conversation_id, ticket,
                                                            lock_lifetime))
            yield TicketLock(conversation_id)
        finally:
            if keeper is not None:
                keeper.cancel()
            self.cleanup(conversation_id, ticket)

    async def _wait_for_turn(self, conversation_id: Text, ticket: int,
                             lock_lifetime: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + lock_lifetime
        while True:
            turn = self._my_turn(conversation_id, ticket)
            if turn == 1:
                return
            if turn == -1 or loop.time() > deadline:
                raise LockError(
                    f"Could not acquire lock for conversation_id '{conversation_id}'.")
            await asyncio.sleep(POLL_SECONDS)

    async def _keep_alive(self, conversation_id: Text, ticket: int,
                          lock_lifetime: float) -> None:
        """Refresh the held ticket while its message is handled, up to Rasa's lifetime."""
        _counter, _queue, ticket_prefix = self._keys(conversation_id)
        loop = asyncio.get_running_loop()
        until = loop.time() + lock_lifetime
        while loop.time() < until:
            await asyncio.sleep(TICKET_LEASE_SECONDS / 3)
            try:
                self.red.pexpire(ticket_prefix + str(ticket), int(TICKET_LEASE_SECONDS * 1000))
            except Exception:  # Redis away for a moment: the next refresh may reach it
                logger.warning("could not refresh a conversation lock", exc_info=True)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        _counter, queue, ticket_prefix = self._keys(conversation_id)
        try:
            self.red.pipeline().zrem(queue, ticket_number).delete(
                ticket_prefix + str(ticket_number)).execute()
        except Exception:  # the ticket then expires by itself within the lease
            logger.warning("could not release a conversation lock", exc_info=True)

    def is_someone_waiting(self, conversation_id: Text) -> bool:
        return bool(self.red.zcard(self._keys(conversation_id)[1]))

    # Rasa's serialised TicketLock is not used: the queue above is the lock.
    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return TicketLock(conversation_id) if self.is_someone_waiting(conversation_id) \
            else None

    def delete_lock(self, conversation_id: Text) -> None:
        self.red.delete(*self._keys(conversation_id)[:2])

    def save_lock(self, lock: TicketLock) -> None:
        pass
