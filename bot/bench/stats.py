"""Figures from a load's samples: percentiles (nearest rank), throughput, a summary."""

from __future__ import annotations

import math
from typing import Optional, Sequence


def percentile(values: Sequence[float], share: float) -> Optional[float]:
    """The nearest-rank percentile: the smallest value with at least share (0-100) percent
    of the values at or below it; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, Optional[float]]:
    """count, p50, p95, p99 and max, in milliseconds."""
    def ms(value: Optional[float]) -> Optional[float]:
        return None if value is None else round(value * 1000, 1)

    return {"count": len(seconds), "p50_ms": ms(percentile(seconds, 50)),
            "p95_ms": ms(percentile(seconds, 95)), "p99_ms": ms(percentile(seconds, 99)),
            "max_ms": ms(max(seconds) if seconds else None)}


def ratio(ours: Optional[float], theirs: Optional[float]) -> Optional[float]:
    """ours / theirs, rounded; None when either is missing or theirs is zero."""
    if ours is None or not theirs:
        return None
    return round(ours / theirs, 2)
