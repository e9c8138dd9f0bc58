"""What the parser-based entity extractor adds to what the learned extractors found."""

import pytest

from integrations.rasa_parsed_entities import (mended_amounts, mended_dates, mended_identifiers,
                                               parsed_entities)


def _values(entities):
    return {e["entity"]: e["value"] for e in entities}


def test_adds_a_marked_amount_and_a_worded_dispute_reason():
    text = "la factura 30918 tiene precio incorrecto, nos cobraron 1.250,00 €"
    assert _values(parsed_entities(text, set())) == {"amount": "1.250,00 €",
                                                      "dispute_reason": "pricing"}


def test_keeps_what_a_learned_extractor_already_found():
    assert parsed_entities("we were billed twice, $500", {"amount", "dispute_reason"}) == []


def test_a_bare_number_is_not_a_dispute_reason_nor_an_amount():
    assert parsed_entities("2", set()) == []
    assert parsed_entities("invoice 30918", set()) == []


@pytest.mark.parametrize("text, parts, whole", [
    ("o pix de R$ 3.200 caiu?", [(9, 10), (11, 16)], "R$ 3.200"),
    ("notre virement de 3 150 € de jeudi", [(18, 19)], "3 150 €"),
    ("did the EUR 1.100,00 we transferred come in", [(4, 11), (12, 20)], "EUR 1.100,00"),
])
def test_an_amount_cut_short_by_the_learned_extractor_is_made_whole(text, parts, whole):
    found = [{"entity": "amount", "value": text[s:e], "start": s, "end": e} for s, e in parts]
    found.append({"entity": "date", "value": "jeudi", "start": 0, "end": 1})
    mended = mended_amounts(text, found)
    assert [e["value"] for e in mended if e["entity"] == "amount"] == [whole]
    assert [e["entity"] for e in mended].count("date") == 1


def test_a_whole_amount_and_an_unmarked_one_are_left_alone():
    whole = [{"entity": "amount", "value": "$500", "start": 5, "end": 9}]
    assert mended_amounts("paid $500 today", whole) is whole
    bare = [{"entity": "amount", "value": "500", "start": 5, "end": 8}]
    assert mended_amounts("paid 500 today", bare) is bare


def _entity(text, kind, written):
    start = text.index(written)
    return {"entity": kind, "value": written, "start": start, "end": start + len(written)}


def test_an_identifier_the_words_name_replaces_what_the_learned_extractor_saw_in_it():
    text = "factura nº 2026/0142, y la #11873 también"
    found = [_entity(text, "date", "2026"), _entity(text, "invoice_number", "#11873"),
             _entity(text, "account_number", "0142")]
    mended = mended_identifiers(text, found)
    assert sorted((e["entity"], e["value"]) for e in mended) == [
        ("invoice_number", "11873"), ("invoice_number", "2026/0142")]


def test_a_payment_reference_is_not_left_as_an_account_or_an_invoice():
    text = "did you get wire-77120 for invoice FAC-000123?"
    found = [_entity(text, "account_number", "FAC-000123"), _entity(text, "invoice_number", "77120")]
    assert sorted((e["entity"], e["value"]) for e in mended_identifiers(text, found)) == [
        ("invoice_number", "FAC-000123"), ("payment_reference", "wire-77120")]


def test_bare_digits_are_an_account_only_after_an_account_word():
    text = "order 45123 shipped, our konto 10442"
    found = [_entity(text, "account_number", "45123"), _entity(text, "account_number", "10442")]
    assert [e["value"] for e in mended_identifiers(text, found)] == ["10442"]
    shaped = [_entity("saldo da PRX-3390", "account_number", "PRX-3390")]
    assert mended_identifiers("saldo da PRX-3390", shaped) is shaped


def test_a_purchase_order_is_no_invoice_nor_payment():
    text = "cuándo llega el envío del pedido 5521? y la PO 88213"
    found = [_entity(text, "payment_reference", "5521"), _entity(text, "invoice_number", "88213")]
    assert mended_identifiers(text, found) == []


def test_a_day_in_words_is_found_whole():
    text = "la factura que nos mandaron el 14 de octubre, la pagamos mañana"
    found = [_entity(text, "date", "octubre")]
    assert sorted(e["value"] for e in mended_dates(text, found)) == ["el 14 de octubre", "mañana"]
    greeting = "guten morgen zusammen"
    assert mended_dates(greeting, []) == []
    whole = [_entity("bis morgen früh", "date", "morgen früh")]
    assert mended_dates("bis morgen früh", whole) is whole


def test_the_german_here_is_no_day():
    assert mended_dates("grüß euch, hier ist die buchhaltung", []) == []
    assert mended_dates("ist das hier automatisiert?", []) == []
    text = "me reenvías la factura del 2 de octubre?"
    found = [_entity(text, "instalments", "2"), _entity(text, "date", "octubre")]
    assert [(e["entity"], e["value"]) for e in mended_dates(text, found)] == [("date", "2 de octubre")]
