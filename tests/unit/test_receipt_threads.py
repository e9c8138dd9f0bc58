"""Webhook receipts run on threads of their own (integrations/receipt_threads.py): a
receipt is kept while every default thread is busy with turns, in the caller's context."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

from integrations.receipt_threads import on_receipt_thread

WHO = contextvars.ContextVar("who", default="nobody")


def test_a_receipt_is_kept_while_every_default_thread_is_busy():
    released = threading.Event()

    def turn_work():  # a turn's action or bookkeeping, holding a default thread
        return released.wait(timeout=30)

    def keep_receipt(message):
        released.set()  # only a receipt that ran lets the turns finish
        return f"kept {message} as {WHO.get()} on {threading.current_thread().name}"

    async def scenario():
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(2))
        turns = [asyncio.to_thread(turn_work) for _ in range(6)]
        busy = asyncio.gather(*turns)
        await asyncio.sleep(0)
        WHO.set("twilio webhook")
        kept = await on_receipt_thread(keep_receipt, "SM123")
        return kept, await busy

    kept, turns_done = asyncio.run(scenario())
    assert kept.startswith("kept SM123 as twilio webhook on receipt")
    assert all(turns_done)
