"""The benchmark's report: a table to read, the ratios to the bare bot, and a JSON file
with every figure and the facts of the machine it was measured on."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Optional

from bot.bench.procinfo import machine_facts
from bot.bench.stats import ratio
from bot.settings import PROJECT_ROOT

WEBHOOKS = {"sms": "Twilio", "slack": "Slack events"}
PACKAGES = ("rasa", "rasa-sdk", "jsonschema", "sanic", "SQLAlchemy", "aiohttp", "twilio")


def _version(package: str) -> Optional[str]:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _commit() -> Optional[str]:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def facts() -> dict:
    """Where and with what the figures were measured."""
    return {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": machine_facts(), "commit": _commit(),
            "packages": {name: _version(name) for name in PACKAGES}}


def ratios(loads: list[dict]) -> list[dict]:
    """Ours (each of our targets: all channels, REST alone) against the bare bot at each
    load: throughput (higher is better for us) and latency (lower is better for us)."""
    by_load: dict[int, dict[str, dict]] = {}
    for figures in loads:
        by_load.setdefault(figures["concurrency"], {})[figures["target"]] = figures
    found = []
    for concurrency, targets in sorted(by_load.items()):
        bare = targets.pop("bare", None)
        if bare is None:
            continue
        for name, ours in targets.items():
            ours_rest = ours["latency_by_channel"].get("rest", ours["latency"])
            found.append({
                "target": name,
                "concurrency": concurrency,
                "throughput": ratio(ours["throughput_msg_s"], bare["throughput_msg_s"]),
                "p50_rest": ratio(ours_rest["p50_ms"], bare["latency"]["p50_ms"]),
                "p95_rest": ratio(ours_rest["p95_ms"], bare["latency"]["p95_ms"]),
                "cpu_per_msg": ratio(ours.get("server_cpu_ms_per_msg"),
                                     bare.get("server_cpu_ms_per_msg")),
            })
    return found


def _cell(value) -> str:
    return "-" if value is None else str(value)


def table(report: dict) -> str:
    """The figures as lines of text, one per load and bot."""
    lines = [f"{'load':>4} {'bot':<9} {'channel':<7} {'msgs':>6} {'msg/s':>7} {'p50 ms':>8} "
             f"{'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'wrong':>5} {'RSS MB':>14} "
             f"{'CPU ms/msg':>10}"]
    for figures in report["loads"]:
        rss = "+".join(str(v) for v in figures["rss_peak_mb"].values())
        channels = [("all", figures["latency"])] + sorted(figures["latency_by_channel"].items())
        if len(channels) == 2:
            channels = channels[1:]
        for n, (channel, latency) in enumerate(channels):
            first = n == 0
            lines.append(
                f"{figures['concurrency'] if first else '':>4} "
                f"{figures['target'] if first else '':<9} {channel:<7} {latency['count']:>6} "
                f"{_cell(figures['throughput_msg_s']) if first else '':>7} "
                f"{_cell(latency['p50_ms']):>8} {_cell(latency['p95_ms']):>8} "
                f"{_cell(latency['p99_ms']):>8} "
                f"{figures['errors'] if first else '':>6} "
                f"{figures['wrong_replies'] if first else '':>5} {rss if first else '':>14} "
                f"{_cell(figures.get('server_cpu_ms_per_msg')) if first else '':>10}")
        for channel, ack in sorted(figures["webhook_ack_by_channel"].items()):
            lines.append(f"{'':>4} {'':<9} {WEBHOOKS.get(channel, channel)} webhook acknowledged: "
                         f"p50 {ack['p50_ms']} ms, p99 {ack['p99_ms']} ms, "
                         f"max {ack['max_ms']} ms")
    for found in report["ratios"]:
        lines.append(f"{found['target']} / bare at {found['concurrency']}: throughput "
                     f"{_cell(found['throughput'])}x, REST p50 {_cell(found['p50_rest'])}x, "
                     f"REST p95 {_cell(found['p95_rest'])}x, server CPU per message "
                     f"{_cell(found.get('cpu_per_msg'))}x")
    for long in report["long_conversations"]:
        lines.append(f"long conversation ({long['target']}, {long['turns_answered']}/"
                     f"{long['turns_planned']} turns): turn 1 {long['turn_1_ms']} ms, last turn "
                     f"{long['turn_last_ms']} ms; the same questions, median of 20 turns "
                     f"after the opening {long['early_p50_ms']} ms, of the last 20 "
                     f"{long['late_p50_ms']} ms ({_cell(long['late_over_early'])}x)")
        lines.extend(f"  {long['target']} long conversation: {p}" for p in long["problems"])
    for figures in report["loads"]:
        for example in figures["examples"]:
            lines.append(f"  {figures['target']} at {figures['concurrency']}: {example}")
    return "\n".join(lines)


def write(report: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"results-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path
