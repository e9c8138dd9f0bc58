""""The last invoice" in five languages, and which invoice that is on the demo ledger."""

import pytest

from bot.conversation.latest_invoice import latest_invoice, names_latest_invoice
from bot.ledger.models import Customer


@pytest.mark.parametrize("text", [
    "can u send me a copy of the last invoice", "latest invoice pls", "our most recent bill",
    "¿me mandas la última factura?", "la dernière facture svp", "bitte die letzte Rechnung",
    "pode enviar a última fatura?"])
def test_the_latest_invoice_is_named_in_every_language(text):
    assert names_latest_invoice(text)


@pytest.mark.parametrize("text", ["send me invoice INV-2026-0142", "the invoice please",
                                  "last week we paid", "our last payment"])
def test_other_requests_do_not_name_it(text):
    assert not names_latest_invoice(text)


def test_it_is_the_invoice_issued_last(demo_db):
    with demo_db.session() as session:
        acme = session.query(Customer).filter_by(account_number="ACME-001").one()
        assert latest_invoice(session, acme.id).invoice_number == "INV-2026-0231"
