"""A started worker's objects are frozen out of garbage collection
(integrations/worker_memory.py): a full collection then walks only what came after."""

from __future__ import annotations

import gc

from integrations import worker_memory


def test_what_a_worker_holds_is_frozen_and_what_comes_after_is_still_collected():
    model = [{"weights": list(range(50))} for _ in range(20_000)]  # held from the start
    try:
        gc.unfreeze()
        assert not worker_memory.frozen()
        frozen = worker_memory.freeze()
        assert worker_memory.frozen() and frozen >= len(model)
        tracked = len(gc.get_objects())  # what a full collection walks
        assert tracked < frozen
        later = []
        later.append(later)  # garbage made after the start, a cycle
        del later
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
