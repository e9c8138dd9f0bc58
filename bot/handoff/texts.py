"""Customer-facing texts the relay sends outside any action (a collector joined, the bot
is back), read from domain.yml's responses so every text exists in all five languages."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from bot.languages import DEFAULT_LANGUAGE
from bot.settings import PROJECT_ROOT


@lru_cache(maxsize=1)
def _responses() -> dict[str, list[dict[str, Any]]]:
    with open(PROJECT_ROOT / "domain.yml", encoding="utf-8") as domain:
        return yaml.safe_load(domain).get("responses") or {}


def response_text(name: str, language: str, **values: Any) -> str:
    """The response's variation for the language (else the default one), filled in."""
    variations = _responses().get(name) or []
    chosen = next((v for v in variations if any(
        c.get("name") == "language" and c.get("value") == language
        for c in v.get("condition") or [])), None) \
        or next((v for v in variations if not v.get("condition")), None)
    if chosen is None:
        raise KeyError(f"no response {name!r} in domain.yml")
    return chosen["text"].format(**values)


def opening_phrase(moment, language: str) -> str:
    """When the team is back, as the customer's locale writes it, with the zone named."""
    from babel.dates import format_datetime

    from bot.languages import LOCALES

    locale = LOCALES.get(language, LOCALES[DEFAULT_LANGUAGE])
    return f"{format_datetime(moment, 'EEEE d MMMM, HH:mm', tzinfo=moment.tzinfo, locale=locale)} " \
           f"({moment.tzinfo.key})"
