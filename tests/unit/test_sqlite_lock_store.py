"""Conversation locks shared by worker processes: one ticket each, served in order, a
conversation is only ever handled by one process at a time, and a ticket whose process
died mid-turn holds up nobody."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time

from integrations import lock_holders
from integrations.sqlite_lock_store import SQLiteLockStore


def _take_tickets(path: str, count: int, out, done) -> None:
    store = SQLiteLockStore(path=path)
    out.put([store.issue_ticket("conv-1") for _ in range(count)])
    done.wait(60)  # alive, holding them, until both have taken theirs


def test_two_processes_never_get_the_same_ticket(tmp_path):
    path = str(tmp_path / "locks.db")
    context = multiprocessing.get_context("fork")
    out, done = context.Queue(), context.Event()
    workers = [context.Process(target=_take_tickets, args=(path, 50, out, done))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    tickets = out.get(timeout=60) + out.get(timeout=60)
    done.set()
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


def _hold(path: str, conversation: str, entered, release) -> None:
    async def turn():
        store = SQLiteLockStore(path=path)
        # A long lifetime: only its holder's end can free the ticket within the test.
        async with store.lock(conversation, lock_lifetime=3600):
            entered.set()
            while not release.is_set():
                await asyncio.sleep(0.01)

    asyncio.run(turn())


def holding_worker(path: str, conversation: str):
    """A worker process in the middle of a turn of conversation (holding its lock); the
    event that ends the turn."""
    context = multiprocessing.get_context("fork")
    entered, release = context.Event(), context.Event()
    worker = context.Process(target=_hold, args=(path, conversation, entered, release))
    worker.start()
    assert entered.wait(30), "the worker did not take the lock"
    return worker, release


def wait_until_dead(pid: int) -> None:
    """Until a SIGKILLed child has died (a zombie: its parent has not reaped it yet)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[0]
        if state in ("Z", "X"):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} still runs after SIGKILL")


async def next_message(store: SQLiteLockStore, conversation: str) -> str:
    # A wait between tries longer than the guard below: served only if served at once.
    async with store.lock(conversation, wait_time_in_seconds=3600):
        return "answered"


def test_a_ticket_of_a_worker_killed_mid_turn_is_freed_for_the_next_message_at_once(tmp_path):
    path = str(tmp_path / "locks.db")
    worker, _ = holding_worker(path, "conv-killed")
    store = SQLiteLockStore(path=path)
    assert store.get_lock("conv-killed").is_someone_waiting()
    os.kill(worker.pid, signal.SIGKILL)
    wait_until_dead(worker.pid)  # dead, not yet reaped by its parent
    ticket = store.issue_ticket("conv-killed")
    assert not store.get_lock("conv-killed").is_locked(ticket)  # not after Rasa's 60 s
    store.cleanup("conv-killed", ticket)
    worker.join(timeout=30)  # reaped: its pid no longer exists at all
    assert asyncio.run(asyncio.wait_for(next_message(store, "conv-killed"), 30)) == "answered"
    assert store.get_lock("conv-killed") is None  # nothing left behind


def test_a_ticket_of_a_worker_still_in_its_turn_keeps_the_next_message_waiting(tmp_path):
    path = str(tmp_path / "locks.db")
    worker, release = holding_worker(path, "conv-busy")
    store = SQLiteLockStore(path=path)
    ticket = store.issue_ticket("conv-busy")
    assert store.get_lock("conv-busy").is_locked(ticket)
    release.set()  # its turn ends
    worker.join(timeout=30)
    assert worker.exitcode == 0
    assert not store.get_lock("conv-busy").is_locked(ticket)
    store.cleanup("conv-busy", ticket)
    assert store.get_lock("conv-busy") is None


def test_a_holder_is_known_by_its_pid_and_start_time_on_this_machine():
    me = lock_holders.this_process()
    assert lock_holders.alive(me)
    # another process now under the pid of a holder that died (the pid reused)
    assert not lock_holders.alive(me._replace(started=me.started + 1))
    context = multiprocessing.get_context("fork")
    gone = context.Process(target=lambda: None)
    gone.start()
    gone.join(timeout=30)
    assert not lock_holders.alive(me._replace(pid=gone.pid))
    # a holder on another machine (or in another container) cannot be judged from here:
    # its ticket lasts until Rasa's lifetime runs out
    assert lock_holders.alive(me._replace(machine="another-boot/pid:[1]", pid=gone.pid))
