"""Facts read from /proc: a process tree's resident memory, and the machine's own facts."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Optional

PROC = Path("/proc")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in (PROC / str(pid) / "task").glob("*"):
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def rss_bytes(pid: int) -> int:
    """VmRSS of one process, 0 when it is gone."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process (all its threads) so far, 0 when gone."""
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.append(current)
        todo.extend(_children(current))
    return found


def tree_rss_bytes(pid: int) -> int:
    """The resident memory of a process and every descendant (a server's workers)."""
    return sum(rss_bytes(p) for p in _tree(pid))


def tree_cpu_seconds(pid: int) -> float:
    """The CPU time of a process and every descendant so far."""
    return sum(cpu_seconds(p) for p in _tree(pid))


def _cpu_model() -> str:
    try:
        for line in (PROC / "cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total_gib() -> float:
    try:
        for line in (PROC / "meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return 0.0


def machine_facts() -> dict:
    return {"cpus": os.cpu_count(), "cpu_model": _cpu_model(),
            "memory_gib": _memory_total_gib(), "load_average": list(os.getloadavg()),
            "kernel": platform.release(), "python": platform.python_version()}


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # local address HEX:PORT, state 0A is LISTEN
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                inodes.add(fields[9])
    return inodes


def listening_pid(port: int) -> Optional[int]:
    """The process listening on a TCP port (of this user's processes), if any."""
    wanted = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not wanted:
        return None
    for process in PROC.iterdir():
        if not process.name.isdigit():
            continue
        try:
            for fd in (process / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    return int(process.name)
        except OSError:
            continue
    return None
