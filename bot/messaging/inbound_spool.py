"""Customer messages kept on the server's own disk while the database cannot take them (it
is down or unreachable): appended to a file in the state folder, flushed to disk before
the provider is answered, and handed to the database in the order they came once it
answers again. Several processes of one server (Rasa workers) share the file under a
lock; each message is handed over once (one that fails stays, with those after it)."""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

SPOOL_FILE = "inbound-spool.jsonl"


def _ends_mid_line(spool) -> bool:
    size = spool.seek(0, os.SEEK_END)
    if not size:
        return False
    spool.seek(size - 1)
    return spool.read(1) != b"\n"


class InboundSpool:
    def __init__(self, folder: Path):
        self.path = Path(folder) / SPOOL_FILE
        self._lock_path = Path(folder) / (SPOOL_FILE + ".lock")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def keep(self, channel: str, payload: dict[str, Any]) -> None:
        """Append one message; on disk when this returns."""
        line = json.dumps({"channel": channel, "payload": payload}, ensure_ascii=False)
        with self._locked(), open(self.path, "ab+") as spool:
            if _ends_mid_line(spool):
                spool.write(b"\n")  # a crash cut the last line short: start a new one
            spool.write(line.encode("utf-8") + b"\n")
            spool.flush()
            os.fsync(spool.fileno())

    def waiting(self) -> int:
        if not self.path.exists():
            return 0
        with self._locked():
            return len(self._read())

    def _read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                kept.append(json.loads(line))
            except ValueError:  # a line cut short by a crash mid-write: never acknowledged
                continue
        return kept

    def hand_over(self, take: Callable[[str, dict[str, Any]], None]) -> int:
        """Give each kept message, oldest first, to take(channel, payload); stop at the
        first that fails (it raises), keeping it and those after it. How many went."""
        if not self.path.exists():
            return 0
        with self._locked():
            kept = self._read()
            done = 0
            try:
                for entry in kept:
                    take(entry["channel"], entry["payload"])
                    done += 1
            finally:
                self._keep_only(kept[done:])
        return done

    def _keep_only(self, entries: list[dict[str, Any]]) -> None:
        if not entries:
            self.path.unlink(missing_ok=True)
            return
        fresh = self.path.with_suffix(".tmp")
        with open(fresh, "w", encoding="utf-8") as spool:
            for entry in entries:
                spool.write(json.dumps(entry, ensure_ascii=False) + "\n")
            spool.flush()
            os.fsync(spool.fileno())
        os.replace(fresh, self.path)
