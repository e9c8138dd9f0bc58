"""The business date and time: UTC, with an override for demos and tests."""

from __future__ import annotations

from datetime import date, datetime, timezone

from bot.settings import Settings


def now() -> datetime:
    return datetime.now(timezone.utc)


def today(settings: Settings) -> date:
    if settings.today_override:
        return date.fromisoformat(settings.today_override)
    return now().date()
