"""The business date and time: UTC, with an override for demos and tests."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional


def now() -> datetime:
    return datetime.now(timezone.utc)


def today(override: Optional[str] = None) -> date:
    """Today in UTC, or the ISO date `override` (AR_TODAY) when one is set."""
    if override:
        return date.fromisoformat(override)
    return now().date()
