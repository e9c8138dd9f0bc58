"""Which process holds a conversation lock's ticket, and whether it still lives: on one
machine a worker killed mid-turn need not block its conversation for Rasa's whole lock
lifetime. A process is its pid and its start time (from /proc/<pid>/stat), so a new
process that was given a dead holder's pid is not taken for it; the machine is its boot
and pid namespace, and a holder of another (a container sharing the file, say) cannot be
judged from here and counts as alive."""

from __future__ import annotations

import os
from typing import NamedTuple, Optional

PROC = "/proc"
# The states in /proc/<pid>/stat of a process that has ended (a zombie is one its parent
# has not reaped yet: it holds nothing any more).
ENDED = ("Z", "X", "x")


class Holder(NamedTuple):
    machine: str
    pid: int
    started: int  # clock ticks after boot, as /proc/<pid>/stat says


def _stat(pid: int) -> Optional[list[str]]:
    """The fields of /proc/<pid>/stat after the command's name (state first), or None
    when there is no such process."""
    try:
        with open(f"{PROC}/{pid}/stat") as stat:
            text = stat.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The name is in parentheses and may hold spaces or parentheses itself.
    return text.rpartition(")")[2].split()


def _machine() -> str:
    try:
        with open(f"{PROC}/sys/kernel/random/boot_id") as boot:
            boot_id = boot.read().strip()
        return f"{boot_id}/{os.readlink(f'{PROC}/self/ns/pid')}"
    except OSError:  # no /proc here: nothing can be judged
        return ""


_this: dict[int, Holder] = {}


def this_process() -> Holder:
    """The calling process as a holder (computed once per process: workers are forked)."""
    pid = os.getpid()
    if pid not in _this:
        fields = _stat(pid)
        _this[pid] = Holder(_machine(), pid, int(fields[19]) if fields else 0)
    return _this[pid]


def alive(holder: Holder) -> bool:
    """Whether the holder may still be using its ticket: False only when it is known to
    have ended (no such process, or one that started at another time, or ended and not
    yet reaped) on this very machine."""
    if not holder.machine or holder.machine != this_process().machine:
        return True
    if holder.pid == os.getpid():
        return holder.started == this_process().started
    fields = _stat(holder.pid)
    if fields is None:
        return _exists_unseen(holder.pid)
    if fields[0] in ENDED:
        return False
    return int(fields[19]) == holder.started


def _exists_unseen(pid: int) -> bool:
    """Whether a process not shown in /proc exists all the same (another user's, with
    /proc mounted hidepid): then its start time is unknown, and it counts as alive."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return False  # not in /proc a moment ago: a process given the pid since, not the holder
