"""What the parser-based entity extractor adds to what the learned extractors found."""

import pytest

from integrations.rasa_parsed_entities import mended_amounts, parsed_entities


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
