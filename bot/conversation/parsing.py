"""Reads amounts, dates, counts and invoice numbers out of what customers write."""

from __future__ import annotations

import calendar
import re
import warnings
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Optional

from bot.languages import SUPPORTED_LANGUAGES

WHOLE_BALANCE = "whole_balance"

_WHOLE_BALANCE_WORDS = re.compile(
    r"\b(all|everything|whole|entire|full|total|todo|toda|total|tout|totalit[eé]|"
    r"gesamt\w*|alles|komplett\w*|tudo|inteir[oa])\b",
    re.IGNORECASE,
)

_CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "R$": "BRL", "C$": "CAD"}
_AMOUNT = re.compile(
    r"(?P<prefix>(?:R\$|C\$|[$€£]|\b[A-Z]{3}\b)\s?)?"
    r"(?P<number>\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
    r"\s?(?P<suffix>[kK]\b|(?:R\$|[$€£]|\b[A-Z]{3}\b))?",
)


def _number(text: str, language: str) -> Optional[Decimal]:
    text = text.replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
    elif "," in text:
        tail = text.rsplit(",", 1)[1]
        decimal_mark = "," if text.count(",") == 1 and len(tail) in (1, 2) else ""
    elif "." in text:
        tail = text.rsplit(".", 1)[1]
        # Money has two decimals: "2.000" is two thousand, whatever the language.
        thousands = len(tail) == 3
        decimal_mark = "" if thousands else "."
    else:
        decimal_mark = ""
    thousands_mark = {",": ".", ".": ","}.get(decimal_mark, ",.")
    for mark in thousands_mark:
        text = text.replace(mark, "")
    if decimal_mark:
        text = text.replace(decimal_mark, ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def parse_amount(text: str, language: str = "en") -> Optional[Decimal]:
    """The first money amount in text, as Decimal ("$1,200.50", "2.500,00 €", "5k")."""
    if not text:
        return None
    for match in _AMOUNT.finditer(text):
        number = _number(match.group("number"), language)
        if number is None:
            continue
        if (match.group("suffix") or "").lower() == "k":
            number *= 1000
        return number.quantize(Decimal("0.01"))
    return None


# Currencies customers name by code next to an amount ("USD 300", "3.400 CHF").
CURRENCY_CODES = frozenset({"USD", "EUR", "GBP", "CAD", "MXN", "BRL", "CHF", "AUD", "ARS",
                            "CLP", "COP", "PEN", "JPY", "CNY", "SEK", "NOK", "DKK", "PLN"})


def marked_amount_span(text: str) -> Optional[tuple[int, int]]:
    """Where the first amount with a currency mark or a "k" is ("1.250,00 €", "$2k",
    "USD 300"): unlike a bare number, it cannot be an invoice or a count."""
    for match in _AMOUNT.finditer(text or ""):
        marks = [(match.group(g) or "").strip() for g in ("prefix", "suffix")]
        if any(m.lower() == "k" or m in _CURRENCY_SIGNS or m in CURRENCY_CODES for m in marks):
            return match.start(), match.start() + len(match.group(0).rstrip())
    return None


def means_whole_balance(text: str) -> bool:
    return bool(text) and bool(_WHOLE_BALANCE_WORDS.search(text)) and parse_amount(text) is None


def amount_currency(text: str) -> Optional[str]:
    """The currency a customer named with an amount, if any."""
    match = _AMOUNT.search(text or "")
    if not match:
        return None
    for part in (match.group("prefix"), match.group("suffix")):
        part = (part or "").strip()
        if part in _CURRENCY_SIGNS:
            return _CURRENCY_SIGNS[part]
        if len(part) == 3 and part.isalpha() and part.isupper():
            return part
    return None


_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12,
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12,
    "eins": 1, "ein": 1, "eine": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6,
    "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "três": 3, "quatro": 4, "sete": 7, "oito": 8,
    "nove": 9, "dez": 10, "doze": 12,
}


def parse_count(text: str) -> Optional[int]:
    """A small whole number written as digits or as a word in one of our languages."""
    if not text:
        return None
    digits = re.search(r"(?<![\d.,])(\d{1,3})(?![\d.,]\d)", text)
    if digits:
        return int(digits.group(1))
    for word in re.findall(r"[^\W\d_]+", text.lower()):
        if word in _NUMBER_WORDS:
            return _NUMBER_WORDS[word]
    return None


def _end_of_month(today: date) -> date:
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def _next_week_start(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def _next_month_start(today: date) -> date:
    return _end_of_month(today) + timedelta(days=1)


# Phrases dateparser does not know, in our five languages.
_RELATIVE_PHRASES = [
    (re.compile(r"\b(end of (the )?month|month[- ]end|eom|fin de mes|fin (de|du) mois|"
                r"monatsende|ende (des|diese[sn]) monats|(fim|final) do m[eê]s)\b", re.I), _end_of_month),
    (re.compile(r"\b(early|beginning of|start of) next week|\bprincipios de la pr[oó]xima semana|"
                r"\bd[ée]but de la semaine prochaine|\banfang n[äa]chster woche|"
                r"\bin(í|i)cio da pr[oó]xima semana", re.I), _next_week_start),
    (re.compile(r"\bla semana que viene|\bla pr[oó]xima semana|\bsemana que vem|"
                r"\bpr[oó]xima semana|\bla semaine prochaine|\bsemaine pro\b", re.I),
     _next_week_start),
    (re.compile(r"\b(beginning|start) of next month|\bprincipios del pr[oó]ximo mes|"
                r"\bd[ée]but du mois prochain|\banfang n[äa]chsten monats|"
                r"\bin(í|i)cio do pr[oó]ximo m[eê]s", re.I), _next_month_start),
]

# "the 15th", "el 3", "le 3", "am 3.", "dia 3", "bis zum 15."
_DAY_OF_MONTH = re.compile(
    r"^(?:on\s+|by\s+)?(?:the\s+|el\s+(?:d[ií]a\s+)?|le\s+|am\s+|den\s+|bis\s+(?:zum\s+)?|"
    r"zum\s+|(?:o\s+)?dia\s+|at[eé]\s+(?:o\s+)?(?:dia\s+)?|para\s+el\s+|avant\s+le\s+)?"
    r"(\d{1,2})(?:st|nd|rd|th|º|°|er|\.)?$", re.I)


def parse_date(text: str, today: date, language: str = "en", past: bool = False
               ) -> Optional[date]:
    """The date a customer means, relative to today. A partial date ("the 15th", "Dec 3")
    is taken forward (a promise, a plan) or, with past=True, back (a payment sent)."""
    if not text or not text.strip():
        return None
    if not past:
        for pattern, resolve in _RELATIVE_PHRASES:
            if pattern.search(text):
                return resolve(today)
    bare_day = _DAY_OF_MONTH.search(text.strip())
    if bare_day:
        return _roll_day_of_month(int(bare_day.group(1)), today, -1 if past else 1)
    found = _search_date(text, today, language, past)
    if found is None:
        return None
    wrong_side = found > today if past else found < today
    if wrong_side and not re.search(r"\b20\d{2}\b", text):
        try:
            found = found.replace(year=found.year + (-1 if past else 1))
        except ValueError:
            return None
    return found


def _roll_day_of_month(day: int, today: date, step: int) -> Optional[date]:
    year, month = today.year, today.month
    for _ in range(3):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if (candidate >= today) if step > 0 else (candidate <= today):
                return candidate
        month += step
        if month == 13:
            year, month = year + 1, 1
        elif month == 0:
            year, month = year - 1, 12
    return None


def _search_date(text: str, today: date, language: str, past: bool) -> Optional[date]:
    import dateparser
    from dateparser.search import search_dates

    languages = [language] + [l for l in SUPPORTED_LANGUAGES if l != language]
    settings = {
        "RELATIVE_BASE": datetime(today.year, today.month, today.day),
        "PREFER_DATES_FROM": "past" if past else "future",
        "DATE_ORDER": "MDY" if language == "en" else "DMY",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = dateparser.parse(text, languages=languages, settings=settings)
        if parsed is None:
            hits = search_dates(text, languages=languages, settings=settings)
            parsed = hits[0][1] if hits else None
    return parsed.date() if parsed else None


_INVOICE_PREFIX = re.compile(r"^(INVOICE|INV|RECHNUNG|FACTURA|FACTURE|FATURA|NO|NR|N)+")


def invoice_key(text: str) -> str:
    """A comparable form of an invoice number: "inv#7731", "INV 7731" and "7731" agree."""
    key = re.sub(r"[^A-Z0-9]", "", (text or "").upper())
    stripped = _INVOICE_PREFIX.sub("", key)
    return stripped if stripped and stripped[0].isdigit() else key


def invoice_tokens(text: str) -> list[str]:
    """Every word, and every pair of adjacent words, that could be an invoice number."""
    words = re.findall(r"[A-Za-z0-9#\-/.]+", text or "")
    pairs = [a + b for a, b in zip(words, words[1:])]
    return [w.strip(".#-/") for w in words + pairs if any(ch.isdigit() for ch in w)]
