"""The period an activity statement covers, from what the customer wrote: "statement for
October", "since June", "desde junio", "relevé d'octobre", "Kontoauszug seit Juni"."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from typing import Optional

from babel.dates import get_month_names

from bot.languages import LOCALES

SINCE = {"since", "from", "desde", "depuis", "seit", "ab", "a partir"}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def _month_words() -> dict[str, int]:
    words: dict[str, int] = {}
    for locale in LOCALES.values():
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=locale).items():
                folded = _fold(name).strip(".")
                if len(folded) >= 3:
                    words[folded] = number
    return words


# Month names that are also everyday words count only after "for", "since", "de"...
AMBIGUOUS = {"may", "mar", "mai"}
BEFORE_MONTH = {"for", "since", "from", "in", "of", "de", "desde", "depuis", "seit", "ab",
                "im", "fur", "en", "du", "d", "para", "do"}


MONTHS = _month_words()


def statement_period(text: str, today: date) -> Optional[tuple[date, date]]:
    """(start, end) for a month named in text ("October": that month, the latest one not
    in the future; "since June": from its first day to today); None when none is named."""
    folded = _fold(text or "")
    tokens = re.findall(r"[a-z]+", folded)
    for index, token in enumerate(tokens):
        month = MONTHS.get(token)
        if month is None or (token in AMBIGUOUS and
                             (index == 0 or tokens[index - 1] not in BEFORE_MONTH)):
            continue
        year = today.year if month <= today.month else today.year - 1
        start = date(year, month, 1)
        before = " ".join(tokens[max(index - 2, 0):index])
        if any(word in before.split() or word == before for word in SINCE) or \
                "a partir" in before:
            return start, today
        end = date(year, month, calendar.monthrange(year, month)[1])
        return start, min(end, today)
    return None
