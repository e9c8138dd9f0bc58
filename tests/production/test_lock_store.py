"""The conversation lock on a real Redis, taken by two "servers" at once (two lock store
objects, each in its own thread and event loop, as two Rasa processes are): one holder at
a time, in the order the tickets were drawn; a killed holder frees its conversation."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.utils.endpoints import EndpointConfig

from integrations import lock_store as our
from tests.production.services import Redis


@pytest.fixture(scope="module")
def redis_url():
    root = Path(tempfile.mkdtemp(prefix="ar-redis-"))
    server = Redis(root)
    server.start()
    try:
        yield server.url(3)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def store(url: str) -> LockStore:
    return LockStore.create(EndpointConfig(url=url, type=
                                           "integrations.lock_store.ConversationLockStore"))


def test_without_a_lock_store_url_it_is_rasas_in_memory_lock_store():
    for url in ("", None):
        assert type(store(url)) is InMemoryLockStore


def test_two_servers_take_one_conversations_lock_one_at_a_time(redis_url):
    conversations = [f"conv-{n}" for n in range(5)]
    holding: dict[str, int] = {c: 0 for c in conversations}
    overlaps, entered = [], []
    guard = threading.Lock()

    async def handle(lock_store, conversation: str, label: str):
        async with lock_store.lock(conversation):
            with guard:
                holding[conversation] += 1
                if holding[conversation] > 1:
                    overlaps.append((conversation, label))
                entered.append(label)
            await asyncio.sleep(0.005)  # a turn's work, with the lock held
            with guard:
                holding[conversation] -= 1

    def server(name: str):
        lock_store = store(redis_url)

        async def main():
            await asyncio.gather(*(handle(lock_store, c, f"{name}-{c}-{i}")
                                   for i in range(15) for c in conversations))

        asyncio.run(main())

    threads = [threading.Thread(target=server, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert overlaps == []
    assert len(entered) == 2 * 15 * len(conversations)


def test_tickets_are_served_in_the_order_they_were_drawn(redis_url):
    lock_store = store(redis_url)
    order = []

    async def main():
        first = lock_store.lock("ordered")
        await first.__aenter__()

        async def later(n: int):
            async with lock_store.lock("ordered"):
                order.append(n)

        waiting = []
        for n in range(6):
            waiting.append(asyncio.ensure_future(later(n)))
            await asyncio.sleep(0.03)  # each draws its ticket before the next
        await first.__aexit__(None, None, None)
        await asyncio.gather(*waiting)

    asyncio.run(main())
    assert order == list(range(6))


def test_a_killed_holders_ticket_frees_the_conversation_within_the_lease(redis_url,
                                                                         monkeypatch):
    monkeypatch.setattr(our, "TICKET_LEASE_SECONDS", 1.0)
    dead = store(redis_url)
    dead.issue_ticket("orphaned")  # drawn, then its server died: nobody keeps it alive
    alive = store(redis_url)

    async def main():
        started = time.monotonic()
        async with alive.lock("orphaned"):
            return time.monotonic() - started

    waited = asyncio.run(main())  # a ticket never freed would end in LockError instead
    print(f"\nwaited {waited:.2f} s for a dead server's ticket")
    assert not alive.is_someone_waiting("orphaned")  # the dead ticket is gone too
