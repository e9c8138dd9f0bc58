"""Waiting for what a server does in the background, up to a timeout."""

from __future__ import annotations

import time
from typing import Callable


def until(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Whether condition came true within timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
