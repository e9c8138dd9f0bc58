"""Where a message names a day in words our five languages leave no doubt about: "mañana",
"gestern", "el 14 de octubre", "march 3rd", "15. Dezember", as the whole expression."""

from __future__ import annotations

import re

_MONTHS = (r"january|february|march|april|june|july|august|september|october|november|"
           r"december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec|"
           r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
           r"noviembre|diciembre|janvier|février|fevrier|mars|avril|mai|juin|juillet|août|"
           r"aout|septembre|octobre|novembre|décembre|decembre|januar|februar|märz|maerz|"
           r"juni|juli|oktober|dezember|janeiro|fevereiro|março|marco|maio|junho|julho|"
           r"setembro|outubro|novembro|dezembro")
# The words for yesterday, today and tomorrow; "morgen" after "guten" is a greeting, and
# "hier" next to "ist" or "das" is the German "here", not the French "yesterday".
_DAYS = (r"today|tomorrow|yesterday|tonight|hoy|mañana|ayer|anteayer|aujourd'hui|demain|"
         r"(?<!ist )(?<!das )hier(?! ist| sind)|après-demain|avant-hier|heute|(?<!guten )morgen|gestern|übermorgen|vorgestern|"
         r"hoje|amanhã|ontem|anteontem")
_DATE = re.compile(
    rf"(?<![\w/.-])(?:"
    rf"(?:el\s+)?\d{{1,2}}(?:\.|º|er|st|nd|rd|th)?\s+(?:de\s+)?(?:{_MONTHS})\b"  # el 14 de octubre
    rf"|(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?![.,]?\d)"  # march 3rd, dec 1
    rf"|(?:{_DAYS})(?![\w'-]))",
    re.IGNORECASE)


def date_spans(text: str) -> list[tuple[int, int]]:
    """Where the sure day expressions of `text` are, as (start, end)."""
    return [m.span() for m in _DATE.finditer(text or "")]
