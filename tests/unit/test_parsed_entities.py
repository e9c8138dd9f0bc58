"""What the parser-based entity extractor adds to what the learned extractors found."""

from integrations.rasa_parsed_entities import parsed_entities


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
