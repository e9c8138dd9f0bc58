"""What anyone on the machine can read of every process: its command line (`ps`)."""

from __future__ import annotations

from pathlib import Path


def every_command_line() -> dict[int, str]:
    """The command line of every process on the machine, as `ps` shows it to anyone."""
    lines = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines[int(entry.name)] = (entry / "cmdline").read_bytes().replace(
                    b"\0", b" ").decode(errors="replace")
            except OSError:  # the process ended meanwhile
                pass
    return lines
