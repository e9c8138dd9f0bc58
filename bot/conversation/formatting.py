"""Money and dates written the way the customer's locale writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency

from bot.languages import DEFAULT_LANGUAGE, LOCALES


def _locale(language: str) -> str:
    return LOCALES.get(language, LOCALES[DEFAULT_LANGUAGE])


def money(amount: Decimal, currency: str, language: str = DEFAULT_LANGUAGE) -> str:
    return format_currency(amount, currency, locale=_locale(language))


def day(value: date, language: str = DEFAULT_LANGUAGE) -> str:
    return babel_format_date(value, format="medium", locale=_locale(language))


def masked_email(address: str) -> str:
    """jane.doe@acme.example -> j•••@acme.example: enough to recognise, not to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def number(value: Decimal, language: str = DEFAULT_LANGUAGE) -> str:
    """A quantity as the locale writes it (1,5 in German, 1.5 in English)."""
    from babel.numbers import format_decimal

    return format_decimal(value.normalize() if value == value.to_integral() else value,
                          locale=_locale(language))
