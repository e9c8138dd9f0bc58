"""Whether a reply is right: the words and figures it must hold (taken from the generated
ledger, formatted as a customer reads them) and the ones it must not."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from bot.conversation import formatting


@dataclass(frozen=True)
class Expect:
    """What one reply must contain (every piece) and must not contain (any piece)."""

    contains: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()

    def problem(self, reply: str) -> Optional[str]:
        """None when the reply is right; otherwise what is wrong with it."""
        missing = [piece for piece in self.contains if piece not in reply]
        present = [piece for piece in self.lacks if piece in reply]
        if not missing and not present:
            return None
        parts = []
        if missing:
            parts.append(f"lacks {missing}")
        if present:
            parts.append(f"holds {present}")
        return "; ".join(parts)

    def satisfied(self, reply: str) -> bool:
        return self.problem(reply) is None


def money(amount: Decimal, currency: str, language: str = "en") -> str:
    """An amount as the assistant writes it to a customer of that language."""
    return formatting.money(amount, currency, language)


def day(value, language: str = "en") -> str:
    return formatting.day(value, language)


# What the assistant must never say in a figure answer: a failure or a misunderstanding.
TROUBLE = ("I didn't get that", "couldn't find", "try again")
