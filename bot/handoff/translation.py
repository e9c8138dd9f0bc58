"""The seam for a translation service on the card: off by default (HANDOFF_TRANSLATOR
empty), when the bot's English reading of each message is all the collector gets."""

from __future__ import annotations

from typing import Optional, Protocol


class Translator(Protocol):
    def to_english(self, text: str, language: str) -> Optional[str]:
        """The message in English, or None when it cannot be translated now."""


class NoTranslation:
    def to_english(self, text: str, language: str) -> Optional[str]:
        return None


def translator_for(name: str) -> Translator:
    """The translator a setting names; none is reachable here, so only "" exists."""
    if not name:
        return NoTranslation()
    raise ValueError(f"HANDOFF_TRANSLATOR {name!r}: no such translation service is built in")
