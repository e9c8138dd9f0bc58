"""The recogniser of a caller's own identifiers, on a ledger whose shapes the NLU never saw."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from bot.conversation.identity import find_invoice, identify, verify_by_knowledge
from bot.conversation.references import name_references
from bot.ledger.identifier_keys import identifier_key, number_part
from bot.ledger.models import Customer, Invoice, Payment

KESTREL_SMS = "+447911123456"


@pytest.fixture
def kestrel(foreign_app):
    with foreign_app.session() as session:
        return session.scalars(select(Customer).where(Customer.account_number == "400123")).one().id


def named(app, customer_id, text, entities=()):
    with app.session() as session:
        found = name_references(session, customer_id, text, entities)
        return ([i.invoice_number for i in found.invoices],
                [p.payment_reference for p in found.payments], found.account, found.unknown)


@pytest.mark.parametrize("written, same_as", [
    ("FAC-000123", "fac 123"), ("fac-000123", "Fac.0123"), ("2026/0142", "20260142"),
    ("2026/0142", "2026-0142"), ("000045123", "45123"), ("nº81234", "NO81234"),
    ("WIRE-5520", "wire 5520"),
])
def test_keys_leave_out_case_separators_accents_and_padding(written, same_as):
    assert identifier_key(written) == identifier_key(same_as)


def test_the_number_part_is_the_key_without_its_letters():
    assert number_part(identifier_key("WIRE-5520")) == "5520"
    assert number_part(identifier_key("fac-000123")) == "123"
    assert number_part(identifier_key("81234")) == "81234"
    assert number_part(identifier_key("draft")) == ""


@pytest.mark.parametrize("text, invoice", [
    ("is 81234 paid?", "81234"),
    ("status of invoice #81234", "81234"),
    ("factura nº 81234", "81234"),
    ("Rechnung Nr. 81234 bezahlt?", "81234"),
    ("what about 2026/0142", "2026/0142"),
    ("inv 2026-0142", "2026/0142"),
    ("invoice 20260142 please", "2026/0142"),
    ("2026 0142", "2026/0142"),
    ("FAC-000123 status", "fac-000123"),
    ("fac 123", "fac-000123"),
    ("copy of invoice 123", "fac-000123"),
    ("FAC000123", "fac-000123"),
    ("invoice 771", "0000771"),
    ("0000771?", "0000771"),
])
def test_invoices_are_found_whatever_shape_the_customer_writes(foreign_app, kestrel, text,
                                                               invoice):
    invoices, _payments, _account, unknown = named(foreign_app, kestrel, text)
    assert invoices == [invoice] and unknown == []


@pytest.mark.parametrize("text, payment", [
    ("did you get WIRE-5520?", "WIRE-5520"),
    ("wire 5520", "WIRE-5520"),
    ("our transfer ref 5520", "WIRE-5520"),
    ("Ref 000045123", "000045123"),
    ("ref 45123 arrived?", "000045123"),
    ("payment #000045123", "000045123"),
    ("CHQ-10991", "chq-10991"),
    ("check 10991", "chq-10991"),
])
def test_payments_are_found_whatever_shape_the_customer_writes(foreign_app, kestrel, text,
                                                               payment):
    _invoices, payments, _account, unknown = named(foreign_app, kestrel, text)
    assert payments == [payment] and unknown == []


@pytest.mark.parametrize("text, other", [
    ("is 81235 paid?", "81235"),  # Halvorsen's
    ("invoice 2026/0143", "2026/0143"),  # Halvorsen's
    ("FAC-000124", "FAC-000124"),  # Halvorsen's
    ("did you get WIRE-5521", "WIRE-5521"),  # Halvorsen's
    ("Ref 000045124", "000045124"),  # Halvorsen's
    ("is 99999 paid?", "99999"),  # nobody's
    ("did you get WIRE-9999", "WIRE-9999"),  # nobody's
    ("invoice 2026/0150", "2026/0150"),  # Cerámicas Albarán's
    ("what about 5120-D", "5120-D"),  # nobody's
    ("invoice no. 77-A", "77-A"),  # nobody's
])
def test_another_customers_or_nobodys_identifier_is_unknown_alike(foreign_app, kestrel, text,
                                                                  other):
    assert named(foreign_app, kestrel, text) == ([], [], False, [other])


@pytest.mark.parametrize("text", [
    "we paid 412.50 yesterday",  # an amount, though invoice 41250 exists
    "we will pay on 15/12",  # a date, though invoice 1512 exists
    "we'll pay on 2026-12-15",
    "sent $1,000 last week",
    "we can do 3 instalments",
    "call me at +447911123456",
    "it was the 15th",
    "what do we owe in 2026",
    "we ordered 500ml bottles and 40 units",
    "call me on 07911 123456",
    "our AP number is (11) 98765-4321 or 312-555-0199",
    "is PO 4500017781 invoiced? and PO4500018102?",
    "the aging, 30/60/90",
    "25% now, the rest at 10:30 on 31.05.",
])
def test_amounts_dates_and_counts_are_not_identifiers(foreign_app, kestrel, text):
    assert named(foreign_app, kestrel, text) == ([], [], False, [])


def test_an_amount_or_date_shape_counts_when_it_is_exactly_an_identifier_and_nothing_else_is(
        foreign_app, kestrel):
    with foreign_app.session() as session:
        session.add(Invoice(invoice_number="15/12", customer_id=kestrel,
                            issue_date=date(2026, 11, 1), due_date=date(2026, 12, 1),
                            amount=Decimal("10.00"), currency="USD"))
    assert named(foreign_app, kestrel, "is 15/12 paid?")[0] == ["15/12"]
    # With a real identifier beside it, "15/12" is the date it reads as.
    assert named(foreign_app, kestrel, "will 81234 be cleared by 15/12?")[0] == ["81234"]


def test_several_identifiers_come_in_the_order_written(foreign_app, kestrel):
    invoices, payments, _account, unknown = named(
        foreign_app, kestrel, "WIRE-5520 paid 2026/0142 and 81234, not 81299")
    assert invoices == ["2026/0142", "81234"] and payments == ["WIRE-5520"]
    assert unknown == ["81299"]
    assert named(foreign_app, kestrel, "copies of 33410 33411 please")[3] == ["33410", "33411"]


def test_the_callers_own_account_number_is_recognised(foreign_app, kestrel):
    assert named(foreign_app, kestrel, "account 400123, what do we owe")[2] is True
    assert named(foreign_app, kestrel, "account 000981 balance") == ([], [], False, ["000981"])


def test_an_nlu_entity_is_a_hint_the_ledger_decides(foreign_app, kestrel):
    # The NLU took "5520" for an amount: the ledger says it is a payment reference.
    assert named(foreign_app, kestrel, "did 5520 arrive",
                 [{"entity": "amount", "value": "5520", "start": 4, "end": 8}])[1] == ["WIRE-5520"]
    # The NLU read an invoice number the words do not show whole: still looked up.
    assert named(foreign_app, kestrel, "that one",
                 [{"entity": "invoice_number", "value": "2026/0142"}])[0] == ["2026/0142"]
    # An identifier entity that is none of the caller's is unknown, whatever its shape.
    assert named(foreign_app, kestrel, "status of ZX9",
                 [{"entity": "invoice_number", "value": "ZX9", "start": 10, "end": 13}]
                 )[3] == ["ZX9"]


def test_the_same_number_with_two_prefixes_prefers_the_one_written(foreign_app, kestrel):
    with foreign_app.session() as session:
        session.add(Payment(payment_reference="ACH-5520", customer_id=kestrel,
                            received_date=date(2026, 11, 2), amount=Decimal("5.00"),
                            method="ach"))
    assert named(foreign_app, kestrel, "ach 5520")[1] == ["ACH-5520"]
    assert named(foreign_app, kestrel, "WIRE-5520")[1] == ["WIRE-5520"]
    # A prefix of the customer's own (not a word like "ref" or "wire") is part of the
    # identifier: TRF-5520 is neither of them.
    assert named(foreign_app, kestrel, "TRF-5520 ok?") == ([], [], False, ["TRF-5520"])


def test_find_invoice_and_verification_take_the_foreign_shapes(foreign_app, settings, now):
    with foreign_app.session() as session:
        caller = identify(session, KESTREL_SMS, "twilio", now)
        assert find_invoice(session, caller, "invoice 20260142").invoice_number == "2026/0142"
        assert find_invoice(session, caller, "81235") is None  # Halvorsen's
        result = verify_by_knowledge(session, "web-x", "400123", "fac 123", settings, now)
    assert result.status == "verified" and result.caller.customer_name == "Kestrel Fabrication Ltd"


def test_lookup_queries_by_key_not_by_reading_every_invoice(foreign_app, kestrel):
    with foreign_app.session() as session:
        session.add_all(Invoice(invoice_number=f"BULK-{n:06d}", customer_id=kestrel,
                                issue_date=date(2026, 1, 1) + timedelta(days=n % 300),
                                due_date=date(2026, 2, 1), amount=Decimal("1.00"),
                                currency="USD") for n in range(5000))
    with foreign_app.session() as session:
        loaded = []
        event.listen(session, "loaded_as_persistent", lambda s, obj: loaded.append(obj))
        found = name_references(session, kestrel, "is invoice BULK-004711 paid? and 81234?")
        assert [i.invoice_number for i in found.invoices] == ["BULK-004711", "81234"]
    assert len([o for o in loaded if isinstance(o, Invoice)]) <= 2


def test_an_identifier_the_nlu_cut_short_is_said_whole(foreign_app, kestrel):
    # The CRF read "2026" of Halvorsen's 2026/0143: the answer names what was written.
    assert named(foreign_app, kestrel, "is invoice 2026/0143 paid?",
                 [{"entity": "invoice_number", "value": "2026", "start": 11, "end": 15}]
                 ) == ([], [], False, ["2026/0143"])
