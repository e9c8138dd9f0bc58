"""Values by kind in a whole message: a count is never an amount, a date never a count."""

from datetime import date
from decimal import Decimal

import pytest

from bot.conversation.message_values import find_values, means_cancel, means_no, means_yes

MONDAY = date(2026, 11, 23)


def test_the_issues_opening_message_carries_whole_balance_count_and_date():
    found = find_values("we'd like a payment plan for the whole balance, 3 monthly payments "
                        "starting on the 15th of next month", MONDAY)
    assert found.whole and found.count == 3 and found.dates == [date(2026, 12, 15)]
    assert found.amounts == []


@pytest.mark.parametrize("text, count, day", [
    ("3 monthly payments", 3, None),
    ("starting on the 15th of next month", None, date(2026, 12, 15)),
    ("no, make it 4 payments", 4, None),
    ("the 20th instead", None, date(2026, 12, 20)),
    ("en 3 cuotas mensuales a partir del 15 del mes que viene", 3, date(2026, 12, 15)),
    ("en 2 versements à partir du 15 du mois prochain", 2, date(2026, 12, 15)),
    ("in drei Raten ab dem 15. nächsten Monats", 3, date(2026, 12, 15)),
    ("em 3 parcelas a partir do dia 15 do próximo mês", 3, date(2026, 12, 15)),
    ("next friday", None, date(2026, 11, 27)),
    ("nächsten Freitag", None, date(2026, 11, 27)),
    ("le 1er décembre", None, date(2026, 12, 1)),
    ("15/12/2026", None, date(2026, 12, 15)),
])
def test_counts_and_dates_are_told_apart(text, count, day):
    found = find_values(text, MONDAY, "en")
    assert found.count == count and found.dates == ([day] if day else [])
    assert found.amounts == []


def test_marked_money_is_an_amount_and_bare_numbers_are_not():
    found = find_values("we were billed for 40 rolls but received 30, so $412.50 of it is wrong",
                        MONDAY)
    assert found.amounts == [Decimal("412.50")] and found.count is None and found.dates == []
    assert find_values("2.500,00 €", MONDAY, "de").amounts == [Decimal("2500.00")]
    assert find_values("R$ 2.250,00", MONDAY, "pt").amounts == [Decimal("2250.00")]


def test_words_left_over_tell_a_question_from_an_answer():
    assert find_values("what's our total balance?", MONDAY).content_words == ["what's"]
    assert find_values("the whole balance", MONDAY).content_words == []


@pytest.mark.parametrize("text", ["cancel", "never mind", "forget it", "olvídalo", "déjalo",
                                  "laisse tomber", "annuler", "vergiss es", "abbrechen",
                                  "esquece", "deixa pra lá"])
def test_cancel_in_five_languages(text):
    assert means_cancel(text)


def test_yes_and_no_and_what_is_neither():
    assert means_yes("yes please") and means_yes("sí") and means_yes("oui") and means_yes("ja")
    assert means_no("no, make it 4") and means_no("nein") and means_no("não")
    assert not means_cancel("we cancelled order 12 so the invoice is wrong")
