"""Reading what customers write: amounts, dates, counts and invoice numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.conversation.parsing import (
    amount_currency,
    invoice_key,
    invoice_tokens,
    means_whole_balance,
    parse_amount,
    parse_count,
    parse_date,
)

TODAY = date(2026, 11, 23)  # a Monday


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("$1,200.50", "en", "1200.50"),
        ("2.500,00 EUR", "en", "2500.00"),
        ("2.500,00 €", "de", "2500.00"),
        ("5k", "en", "5000.00"),
        ("2.5k", "en", "2500.00"),
        ("USD 3,400", "en", "3400.00"),
        ("950,50 €", "fr", "950.50"),
        ("950,50 €", "en", "950.50"),
        ("1.200", "de", "1200.00"),
        ("1.200", "es", "1200.00"),
        ("1 200,00", "fr", "1200.00"),
        ("R$ 1.234,56", "pt", "1234.56"),
        ("1,234,567.89", "en", "1234567.89"),
        ("1.234.567", "en", "1234567.00"),
        ("12,5", "en", "12.50"),
        ("I can pay 300 on Friday", "en", "300.00"),
        ("we will send 1,500.00 USD next week", "en", "1500.00"),
        ("500", "en", "500.00"),
        ("$2.000", "en", "2000.00"),  # money has two decimals: a thousands dot
        ("3.400 CHF", "de", "3400.00"),
        ("1 250,00 €", "fr", "1250.00"),
    ],
)
def test_parse_amount_shapes(text, language, expected):
    assert parse_amount(text, language) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "no idea", "soon", None])
def test_parse_amount_without_a_number_is_none(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "currency"),
    [("$1,200.50", "USD"), ("2.500,00 EUR", "EUR"), ("950,50 €", "EUR"), ("USD 3,400", "USD"),
     ("R$ 1.234,56", "BRL"), ("C$ 80", "CAD"), ("£20", "GBP"), ("5k", None)],
)
def test_amount_currency(text, currency):
    assert amount_currency(text) == currency


@pytest.mark.parametrize(
    ("text", "whole"),
    [("all of it", True), ("the whole balance", True), ("todo", True), ("tout", True),
     ("alles", True), ("tudo", True), ("all 500", False), ("500", False), ("", False)],
)
def test_means_whole_balance(text, whole):
    assert means_whole_balance(text) is whole


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("tomorrow", "en", date(2026, 11, 24)),
        ("mañana", "es", date(2026, 11, 24)),
        ("demain", "fr", date(2026, 11, 24)),
        ("morgen", "de", date(2026, 11, 24)),
        ("amanhã", "pt", date(2026, 11, 24)),
        ("next friday", "en", date(2026, 11, 27)),
        ("end of month", "en", date(2026, 11, 30)),
        ("by the end of the month", "en", date(2026, 11, 30)),
        ("fin de mois", "fr", date(2026, 11, 30)),
        ("fin de mes", "es", date(2026, 11, 30)),
        ("Monatsende", "de", date(2026, 11, 30)),
        ("fim do mês", "pt", date(2026, 11, 30)),
        ("Anfang nächster Woche", "de", date(2026, 11, 30)),
        ("early next week", "en", date(2026, 11, 30)),
        ("début de la semaine prochaine", "fr", date(2026, 11, 30)),
        ("beginning of next month", "en", date(2026, 12, 1)),
        ("the 15th", "en", date(2026, 12, 15)),   # the 15th of November has passed
        ("on the 30th", "en", date(2026, 11, 30)),
        ("23", "en", date(2026, 11, 23)),         # today is not in the past
        ("Dec 3", "en", date(2026, 12, 3)),
        ("3 de diciembre", "es", date(2026, 12, 3)),
        ("le 5 décembre", "fr", date(2026, 12, 5)),
        ("Nov 20", "en", date(2027, 11, 20)),     # forward: next year's
        ("2026-12-10", "en", date(2026, 12, 10)),
        ("el lunes", "es", date(2026, 11, 30)),
        ("la semana que viene", "es", date(2026, 11, 30)),
        ("semana que vem", "pt", date(2026, 11, 30)),
        ("la semaine prochaine", "fr", date(2026, 11, 30)),
        ("final do mês", "pt", date(2026, 11, 30)),
        ("le 3", "fr", date(2026, 12, 3)),
        ("am 3.", "de", date(2026, 12, 3)),
        ("el 15", "es", date(2026, 12, 15)),
        ("dia 10", "pt", date(2026, 12, 10)),
        ("bis zum 15.", "de", date(2026, 12, 15)),
        ("vendredi prochain", "fr", date(2026, 11, 27)),
        ("próxima quarta", "pt", date(2026, 11, 25)),
    ],
)
def test_parse_date_forward(text, language, expected):
    assert parse_date(text, TODAY, language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("the 15th", date(2026, 11, 15)), ("the 25th", date(2026, 10, 25)),
     ("Nov 20", date(2026, 11, 20)), ("Dec 3", date(2025, 12, 3))],
)
def test_parse_date_back_for_a_payment_already_sent(text, expected):
    assert parse_date(text, TODAY, "en", past=True) == expected


@pytest.mark.parametrize("text", ["", "   ", "asdf qwerty", "whenever", None])
def test_parse_date_of_garbage_is_none(text):
    assert parse_date(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3), ("6 months", 6), ("in 12 payments", 12),
        ("three", 3), ("six instalments", 6), ("twelve", 12),
        ("tres", 3), ("seis cuotas", 6), ("una", 1), ("doce", 12),
        ("trois", 3), ("six mensualités", 6), ("deux", 2), ("douze", 12),
        ("drei", 3), ("sechs Raten", 6), ("zwei", 2), ("zwölf", 12),
        ("três", 3), ("seis parcelas", 6), ("duas", 2), ("doze", 12),
        ("em dois pagamentos", 2),   # Portuguese masculine "two"
        ("uma parcela", 1),          # Portuguese feminine "one"
    ],
)
def test_parse_count_digits_and_words_in_five_languages(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize("text", ["", "none", "many", None])
def test_parse_count_without_a_count_is_none(text):
    assert parse_count(text) is None


@pytest.mark.parametrize(
    ("a", "b"),
    [("inv#7731", "7731"), ("INV 7731", "7731"), ("Invoice 7731", "7731"),
     ("invoice no. 7731", "7731"), ("Rechnung Nr. 30918", "30918"), ("factura 30918", "30918"),
     ("INV-2026-0101", "inv 2026 0101"), ("INV-2026-0101", "2026-0101"),
     ("F-2026-551", "f 2026 551"), ("um-4411", "UM 4411")],
)
def test_invoice_key_treats_spellings_of_one_number_alike(a, b):
    assert invoice_key(a) == invoice_key(b)


@pytest.mark.parametrize(("a", "b"), [("7731", "7790"), ("INV-2026-0101", "INV-2026-0110"),
                                      ("F-2026-551", "2026-551")])
def test_invoice_key_keeps_different_numbers_apart(a, b):
    assert invoice_key(a) != invoice_key(b)


def test_invoice_tokens_offers_numbers_and_split_numbers():
    tokens = invoice_tokens("about invoice INV 2026-0101 please")
    assert "2026-0101" in tokens and "INV2026-0101" in tokens
    assert all(any(ch.isdigit() for ch in t) for t in tokens)
    assert invoice_tokens("no digits here") == []


@pytest.mark.parametrize(("text", "amount"), [
    ("quiero pagar la factura 30918 el lunes, son 1.250,00 €", "1.250,00 €"),
    ("on peut payer 2 300 € fin de mois", "2 300 €"),
    ("wir zahlen 3.400 CHF", "3.400 CHF"),
    ("pay $2k tomorrow", "$2k"),
    ("USD 300 on friday", "USD 300"),
    ("R$ 3.000 hoje", "R$ 3.000"),
    ("invoice 30918", None),
    ("INV 30918 please", None),
    ("in 3 payments", None),
])
def test_marked_amount_span_finds_only_amounts_with_a_currency_mark(text, amount):
    from bot.conversation.parsing import marked_amount_span

    span = marked_amount_span(text)
    assert (text[span[0]:span[1]] if span else None) == amount
