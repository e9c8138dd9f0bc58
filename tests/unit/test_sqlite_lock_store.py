"""Conversation locks shared by worker processes: one ticket each, served in order, and a
conversation is only ever handled by one process at a time."""

from __future__ import annotations

import asyncio
import multiprocessing
import time

from integrations.sqlite_lock_store import SQLiteLockStore


def _take_tickets(path: str, count: int, out) -> None:
    store = SQLiteLockStore(path=path)
    out.put([store.issue_ticket("conv-1") for _ in range(count)])


def test_two_processes_never_get_the_same_ticket(tmp_path):
    path = str(tmp_path / "locks.db")
    out = multiprocessing.get_context("fork").Queue()
    workers = [multiprocessing.get_context("fork").Process(target=_take_tickets,
                                                           args=(path, 50, out))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    tickets = out.get(timeout=60) + out.get(timeout=60)
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(tickets) == list(range(100))


def _handle(path: str, name: str, log: str) -> None:
    async def turn():
        store = SQLiteLockStore(path=path)
        async with store.lock("conv-1"):
            with open(log, "a") as file:
                file.write(f"{name} in\n")
            await asyncio.sleep(0.2)
            with open(log, "a") as file:
                file.write(f"{name} out\n")

    asyncio.run(turn())


def test_one_conversation_is_handled_by_one_process_at_a_time(tmp_path):
    path, log = str(tmp_path / "locks.db"), str(tmp_path / "log.txt")
    context = multiprocessing.get_context("fork")
    workers = []
    for name in ("first", "second", "third"):
        workers.append(context.Process(target=_handle, args=(path, name, log)))
        workers[-1].start()
        time.sleep(0.05)  # arrive in this order
    for worker in workers:
        worker.join(timeout=60)
    lines = open(log).read().split()
    assert lines == ["first", "in", "first", "out", "second", "in", "second", "out",
                     "third", "in", "third", "out"]
    assert SQLiteLockStore(path=path).get_lock("conv-1") is None  # nothing left behind


def test_a_second_message_waits_only_as_long_as_the_first_takes(tmp_path):
    store = SQLiteLockStore(path=str(tmp_path / "locks.db"))
    order = []

    async def message(name: str, seconds: float):
        async with store.lock("conv-2"):
            order.append(name)
            await asyncio.sleep(seconds)

    async def both():
        first = asyncio.create_task(message("first", 0.05))
        await asyncio.sleep(0.01)
        started = time.monotonic()
        await message("second", 0)
        await first
        return time.monotonic() - started

    waited = asyncio.run(both())
    assert order == ["first", "second"]
    print(f"second message waited {waited * 1000:.0f} ms (Rasa's own lock store: 1000 ms)")
