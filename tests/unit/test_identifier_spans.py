"""Identifiers whose kind the words around them say, in shapes our training data never had."""

import pytest

from bot.conversation.identifier_spans import identifier_spans


def _found(text):
    return [(s.kind, text[s.start:s.end]) for s in identifier_spans(text)]


@pytest.mark.parametrize("text, expected", [
    ("status of invoice 81234?", [("invoice_number", "81234")]),
    ("factura 2026/0142 pendiente", [("invoice_number", "2026/0142")]),
    ("la facture FAC-000123 est-elle payée", [("invoice_number", "FAC-000123")]),
    ("Rechnung Nr. 4711 über 1.300 CHF", [("invoice_number", "4711")]),
    ("a fatura nº 2026/0142 de R$ 2.500,00", [("invoice_number", "2026/0142")]),
    ("la #11873 os sale vencida?", [("invoice_number", "11873")]),
    ("inv#2210 cuánto falta?", [("invoice_number", "2210")]),
    ("the invoice ref 5531, not PO 45123", [("invoice_number", "5531")]),
])
def test_an_invoice_number_in_any_shape_after_an_invoice_word(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Ref 000045123 was sent yesterday", [("payment_reference", "000045123")]),
    ("did you get wire-77120 and chq-5531?",
     [("payment_reference", "wire-77120"), ("payment_reference", "chq-5531")]),
    ("we paid WIRE-5520 last week", [("payment_reference", "WIRE-5520")]),
    ("check #10233 mailed last week", [("payment_reference", "10233")]),
    ("die Überweisung Ref. 88123 für Rechnung 4711",
     [("payment_reference", "88123"), ("invoice_number", "4711")]),
])
def test_a_payment_reference_by_its_word_or_its_own_prefix(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize("text", [
    "customer no. 10442 balance", "saldo vom Kundenkonto 10442?", "n° client 10442",
    "Konto-Nr. 10442", "saldo de la cuenta 10442", "número de cliente 10442",
])
def test_an_account_number_only_after_an_account_word(text):
    assert _found(text) == [("account_number", "10442")]


@pytest.mark.parametrize("text", [
    "we can pay 1200 next week", "payment of $1,200 on 15/12", "pagamos 1.234,56 € el 15",
    "our phone is 312-555-0199", "PO 45123 is ours", "call me on 0176 5551234",
    "zahlen 1.300 CHF am 15.12.", "in 3 instalments", "the 4711 one",
])
def test_amounts_dates_orders_phones_and_bare_numbers_are_not_identifiers(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, expected", [
    ("going to pay invoices 4711 and 4712 on tues", ["4711", "4712"]),
    ("facturas 66120, 66121 y 66122", ["66120", "66121", "66122"]),
    ("rechnungskopie 6650 per mail bitte", ["6650"]),
    ("vencimento da FT 2025/118?", ["2025/118"]),
])
def test_lists_and_glued_words_name_invoices_too(text, expected):
    assert _found(text) == [("invoice_number", value) for value in expected]
