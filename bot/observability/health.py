"""Health: liveness (the process answers) and readiness (what it needs answers too).

A readiness report is JSON naming each check and whether it passed, with a short reason
when not; never a URL, a password or a token.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Callable, Mapping

from sqlalchemy import text

from bot.db import engine_for

# name -> a function that returns None when all is well, else why not (raises also = not)
Check = Callable[[], "str | None"]
TIMEOUT_SECONDS = 2.0
LIVE = {"status": "ok"}


def database_check(url: str) -> Check:
    """The database at `url` answers a query."""

    def check() -> None:
        with engine_for(url).connect() as connection:
            connection.execute(text("SELECT 1"))

    return check


def http_check(url: str) -> Check:
    """The server at `url` answers 2xx (its own readiness, where it has one)."""

    def check() -> "str | None":
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as reply:
                return None if 200 <= reply.status < 300 else f"answered {reply.status}"
        except urllib.error.HTTPError as error:
            return f"answered {error.code}"

    return check


def readiness(checks: Mapping[str, Check]) -> tuple[int, dict]:
    """(HTTP status, body): 200 when every check passes, else 503 saying which failed."""
    results: dict[str, dict] = {}
    for name, check in checks.items():
        started = time.monotonic()
        try:
            problem = check()
        except Exception as error:  # a check that cannot run has failed; say only its kind
            problem = f"unreachable ({type(error).__name__})"
        results[name] = {"ok": problem is None,
                         "ms": round((time.monotonic() - started) * 1000, 1)}
        if problem is not None:
            results[name]["problem"] = problem
    ready = all(r["ok"] for r in results.values())
    return (200 if ready else 503), {"status": "ready" if ready else "not ready",
                                     "checks": results}
