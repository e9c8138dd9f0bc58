"""One benchmark run: the loads, ours and the bare bot taking turns at each, then one long
conversation each; everything into one report."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Optional

from bot.bench.load import run_load, run_long
from bot.bench.report import facts, ratios
from bot.bench.sink import ReplySink


@dataclass(frozen=True)
class BenchOptions:
    duration: float = 60.0  # seconds per load and bot
    loads: tuple[int, ...] = (1, 10, 50)
    long_turns: int = 200
    customers: int = 10_000
    big_invoices: int = 5_000
    seed: int = 15


def _line(figures: dict) -> str:
    latency = figures["latency"]
    return (f"  {figures['target']:<9} at {figures['concurrency']:>3}: "
            f"{figures['throughput_msg_s']} msg/s, p50 {latency['p50_ms']} ms, "
            f"p95 {latency['p95_ms']} ms, {figures['errors']} errors, "
            f"{figures['wrong_replies']} wrong")


async def measure(targets: list, sink: Optional[ReplySink], options: BenchOptions) -> dict:
    """Every load for every target (alternating at each load), then the long conversations."""
    if sink is not None:
        await sink.start()
    try:
        loads = []
        for concurrency in options.loads:
            for target in targets:
                figures = (await run_load(target, concurrency, options.duration)).figures()
                print(_line(figures), flush=True)
                loads.append(figures)
        long_conversations = []
        for target in (t for t in targets if t.talks_long):
            script, talker_for = target.long(options.long_turns)
            long_conversations.append(await run_long(target, script, talker_for))
    finally:
        if sink is not None:
            await sink.stop()
    return {"options": asdict(options), "facts": facts(), "loads": loads,
            "ratios": ratios(loads), "long_conversations": long_conversations,
            "sink_refused": sink.refused if sink is not None else None}


def measure_now(targets: list, sink: Optional[ReplySink], options: BenchOptions) -> dict:
    return asyncio.run(measure(targets, sink, options))
