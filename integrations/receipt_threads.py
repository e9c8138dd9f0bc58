"""Webhook receipts on threads of their own. A provider's webhook is answered once its
message is kept (a database transaction, run on a thread). On the event loop's default
threads a receipt waited behind the turns' actions and bookkeeping, so under load Twilio's
and Slack's acknowledgements came late (README, "Speed"). A few threads per process run
receipts only."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from integrations.per_process import PerProcess

RECEIPT_THREADS = 2
_threads = PerProcess(lambda: ThreadPoolExecutor(RECEIPT_THREADS,
                                                 thread_name_prefix="receipt"))


async def on_receipt_thread(work: Callable[..., Any], *args: Any) -> Any:
    """work(*args) on a receipt thread, as asyncio.to_thread runs it (same context)."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(
        _threads.get(), functools.partial(context.run, work, *args))
