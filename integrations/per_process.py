"""A value made on first use in each process. Sanic forks its workers after our modules
are imported: a thread pool or an executor made before the fork is not the child's."""

from __future__ import annotations

import os
from typing import Callable, Generic, Optional, TypeVar

T = TypeVar("T")


class PerProcess(Generic[T]):
    def __init__(self, make: Callable[[], T]):
        self._make = make
        self._made: Optional[tuple[int, T]] = None  # (pid, value)

    def get(self) -> T:
        if self._made is None or self._made[0] != os.getpid():
            self._made = (os.getpid(), self._make())
        return self._made[1]
