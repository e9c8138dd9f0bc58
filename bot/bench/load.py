"""The closed loop: N simulated customers at once, each holding one conversation after
another with no pause, every reply checked; what each message took, what went wrong, and
the servers' memory meanwhile."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Protocol

import aiohttp

from bot.bench.clients import Answer
from bot.bench.procinfo import tree_cpu_seconds, tree_rss_bytes
from bot.bench.scripts import Script
from bot.bench.stats import latency_summary

MAX_EXAMPLES = 5
RSS_EVERY_SECONDS = 1.0
SAME_QUESTIONS = 20  # turns of a long conversation compared early and late


class Talker(Protocol):
    async def say(self, text: str, expect) -> Answer: ...


class Target(Protocol):
    """A bot under test: hands out conversations and names its server processes."""

    name: str
    pids: dict[str, int]

    def conversation(self, session: aiohttp.ClientSession, worker: int, number: int
                     ) -> tuple[str, Talker, Script]:
        """(channel, who talks, what is said) for a worker's number-th conversation."""

    def long(self, turns: int) -> tuple[Script, Callable[[aiohttp.ClientSession], Talker]]:
        """The long conversation, and who holds it in a client session."""


@dataclass
class Sample:
    channel: str
    seconds: float
    ack_seconds: Optional[float]


@dataclass
class LoadResult:
    target: str
    concurrency: int
    duration: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    conversations: int = 0
    errors: int = 0
    wrong: int = 0
    examples: list[str] = field(default_factory=list)
    rss_peak: dict[str, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # of the bot's server processes over the run

    @property
    def messages(self) -> int:
        return len(self.samples) + self.errors + self.wrong

    def note(self, kind: str, channel: str, script: Script, text: str, detail: str,
             reply: str) -> None:
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{kind} [{channel}, {script.name}] {text!r}: {detail}; "
                                 f"reply {reply[:300]!r}")

    def figures(self) -> dict:
        channels = sorted({s.channel for s in self.samples})
        return {
            "target": self.target, "concurrency": self.concurrency,
            "duration_s": round(self.duration, 1), "messages": self.messages,
            "conversations": self.conversations,
            "throughput_msg_s": round(len(self.samples) / self.duration, 2)
            if self.duration else None,
            "latency": latency_summary([s.seconds for s in self.samples]),
            "latency_by_channel": {c: latency_summary([s.seconds for s in self.samples
                                                       if s.channel == c]) for c in channels},
            "webhook_ack_by_channel": {
                c: latency_summary([s.ack_seconds for s in self.samples
                                    if s.channel == c and s.ack_seconds is not None])
                for c in channels if any(s.channel == c and s.ack_seconds is not None
                                         for s in self.samples)},
            "errors": self.errors, "wrong_replies": self.wrong, "examples": self.examples,
            "rss_peak_mb": {name: round(value / 2**20) for name, value in self.rss_peak.items()},
            # Steadier than msg/s on a shared machine: what a message costs the servers.
            "server_cpu_ms_per_msg": round(1000 * self.cpu_seconds / len(self.samples), 1)
            if self.samples else None,
            "server_cpu_cores": round(self.cpu_seconds / self.duration, 2)
            if self.duration else None,
        }


async def _customer(target: Target, session, worker: int, end: float, result: LoadResult
                    ) -> None:
    number = 0
    while time.monotonic() < end:
        channel, talker, script = target.conversation(session, worker, number)
        number += 1
        result.conversations += 1
        for turn in script.turns:
            if time.monotonic() >= end:
                return
            answer = await talker.say(turn.text, turn.expect)
            if answer.error:
                result.errors += 1
                result.note("error", channel, script, turn.text, answer.error, answer.text)
                break
            problem = turn.expect.problem(answer.text)
            if problem:
                result.wrong += 1
                result.note("wrong", channel, script, turn.text, problem, answer.text)
                break  # what follows would answer a conversation gone elsewhere
            result.samples.append(Sample(channel, answer.seconds, answer.ack_seconds))


async def _watch_memory(pids: dict[str, int], peak: dict[str, int], stop: asyncio.Event
                        ) -> None:
    while not stop.is_set():
        for name, pid in pids.items():
            peak[name] = max(peak.get(name, 0), tree_rss_bytes(pid))
        try:
            await asyncio.wait_for(stop.wait(), RSS_EVERY_SECONDS)
        except asyncio.TimeoutError:
            pass


def client_session(concurrency: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=2 * concurrency + 10)
    return aiohttp.ClientSession(connector=connector,
                                 timeout=aiohttp.ClientTimeout(total=60))


async def run_load(target: Target, concurrency: int, seconds: float) -> LoadResult:
    """concurrency customers for `seconds`; each finishes the message it is waiting on."""
    result = LoadResult(target.name, concurrency)
    stop = asyncio.Event()
    watcher = asyncio.ensure_future(_watch_memory(target.pids, result.rss_peak, stop))
    async with client_session(concurrency) as session:
        cpu_before = sum(tree_cpu_seconds(pid) for pid in target.pids.values())
        start = time.monotonic()
        end = start + seconds
        await asyncio.gather(*(_customer(target, session, worker, end, result)
                               for worker in range(concurrency)))
        result.duration = time.monotonic() - start
        result.cpu_seconds = sum(tree_cpu_seconds(pid) for pid in target.pids.values()) \
            - cpu_before
    stop.set()
    await watcher
    return result


async def run_long(target: Target, script: Script, talker_for) -> dict:
    """One conversation of many turns: the latency of each, early against late."""
    async with client_session(1) as session:
        talker = talker_for(session)
        latencies: list[float] = []
        problems: list[str] = []
        for number, turn in enumerate(script.turns, start=1):
            answer = await talker.say(turn.text, turn.expect)
            problem = answer.error or turn.expect.problem(answer.text)
            if problem:
                problems.append(f"turn {number} {turn.text!r}: {problem}")
                break
            latencies.append(answer.seconds)
    # The same questions early and late: 20 turns after the opening (whole rounds of the
    # repeated questions), against the last 20.
    early = latencies[script.opening:script.opening + SAME_QUESTIONS]
    late = latencies[-SAME_QUESTIONS:]
    early_p50, late_p50 = latency_summary(early)["p50_ms"], latency_summary(late)["p50_ms"]
    return {
        "target": target.name, "turns_planned": len(script.turns),
        "turns_answered": len(latencies), "problems": problems,
        "turn_1_ms": latency_summary(latencies[:1])["p50_ms"],
        "turn_last_ms": latency_summary(latencies[-1:])["p50_ms"],
        "early_p50_ms": early_p50, "late_p50_ms": late_p50,
        "late_over_early": round(late_p50 / early_p50, 2) if early_p50 and late_p50 else None,
        "latencies_ms": [round(seconds * 1000, 1) for seconds in latencies],
    }
