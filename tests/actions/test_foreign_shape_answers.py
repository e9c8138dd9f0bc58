"""The answers about invoices and payments on a ledger whose identifiers have none of the
demo's shapes (tests/ledgers/foreign_shapes), with and without the NLU's entities."""

from __future__ import annotations

import re

import pytest

from actions.base import set_ar_app
from actions.documents import ActionSendInvoiceCopy, ActionSendStatement
from actions.invoices import ActionTellInvoiceStatus
from actions.payments import ActionGivePaymentOptions, ActionTellPaymentStatus
from bot.conversation.identity import verify_by_knowledge
from bot.ledger.models import DocumentRequest
from tests.actions.conftest import followups, make_tracker, run_action, slot_events

MAYA_SMS = ("+447911123456", "twilio")  # Kestrel Fabrication (400123), by phone
JONAS_SLACK = ("U0HALVOR1", "slack")  # Halvorsen Logistik (000981), by Slack, German
MONEY = re.compile(r"[$€]|\d[.,]\d{2}\b")


@pytest.fixture(autouse=True)
def ledger(foreign_app):
    set_ar_app(foreign_app)
    yield foreign_app
    set_ar_app(None)


def ask(action, text, intent, entities=None, sender=MAYA_SMS, **kwargs):
    said, events = run_action(action, make_tracker(sender, text, intent, entities, **kwargs))
    return " ".join(said), events


@pytest.mark.parametrize("text, expected", [
    ("is 81234 paid?", "Invoice 81234 for $4,120.00 is paid in full"),
    ("what about invoice #81234", "Invoice 81234 for $4,120.00 is paid in full"),
    ("status of 2026/0142", "Invoice 2026/0142: $1,500.00 open of $2,500.00"),
    ("inv 2026-0142 pls", "Invoice 2026/0142: $1,500.00 open of $2,500.00"),
    ("FAC-000123 status?", "Invoice fac-000123: $412.50 open of $412.50"),
    ("is fac 123 due", "Invoice fac-000123: $412.50 open of $412.50"),
    ("nº 771?", "Invoice 0000771: $950.00 open of $950.00"),
])
def test_invoice_status_by_each_shape_without_any_entity(text, expected):
    said, events = ask(ActionTellInvoiceStatus(), text, "ask_invoice_status")
    assert said.startswith(expected), said


def test_invoice_status_when_the_nlu_took_the_number_for_an_amount():
    said, _ = ask(ActionTellInvoiceStatus(), "is 41250 paid?", "ask_invoice_status",
                  {"amount": "41250"})
    assert said.startswith("Invoice 41250: $1,780.00 open of $1,780.00"), said


@pytest.mark.parametrize("other", ["81235", "2026/0143", "FAC-000124", "2026/0150",
                                   "99999", "2026/9999"])
def test_another_customers_invoice_gets_the_answer_an_unknown_one_gets(other):
    said, events = ask(ActionTellInvoiceStatus(), f"is {other} paid?", "ask_invoice_status")
    assert said == (f"I couldn't find invoice {other} on your account. Please check the number "
                    "(it's at the top of the invoice) and send it again, or say 'cancel'.")
    assert slot_events(events)["invoice_number"] is None
    assert not MONEY.search(said)


def test_an_invoice_question_naming_a_payment_is_answered_about_that_payment():
    said, events = ask(ActionTellInvoiceStatus(), "is WIRE-5520 through?", "ask_invoice_status")
    assert said == "" and followups(events) == ["action_tell_payment_status"]
    tracker = make_tracker(MAYA_SMS, "is WIRE-5520 through?", "ask_invoice_status",
                           slots=slot_events(events), latest_action="action_tell_invoice_status")
    said, _ = run_action(ActionTellPaymentStatus(), tracker)
    assert said[0].startswith("Yes: we received $4,120.00 by wire on Sep 28, 2026 "
                              "(reference WIRE-5520). Applied to: 81234 ($4,120.00).")


@pytest.mark.parametrize("text, entities, expected", [
    ("did you get WIRE-5520?", None, "$4,120.00 by wire on Sep 28, 2026 (reference WIRE-5520)"),
    ("wire 5520 received?", {"payment_reference": "5520"}, "(reference WIRE-5520)"),
    ("Ref 000045123", None, "$1,000.00 by ACH on Nov 10, 2026 (reference 000045123)"),
    # The shape the NLU never saw, read as an amount: the ledger knows better.
    ("did you get our payment ref 000045123?", {"amount": "000045123"},
     "(reference 000045123). Applied to: 2026/0142 ($1,000.00)."),
    ("ref 45123", None, "(reference 000045123)"),
    ("CHQ-10991 ok?", None, "$300.00 by check on Nov 18, 2026 (reference chq-10991). "
                            "$300.00 is not yet applied"),
    ("check 10991", {"payment_reference": "check 10991"}, "(reference chq-10991)"),
])
def test_payment_status_by_each_shape(text, entities, expected):
    said, _ = ask(ActionTellPaymentStatus(), text, "ask_payment_status", entities)
    assert said.startswith("Yes: we received") and expected in said, said


@pytest.mark.parametrize("other", ["000045124", "WIRE-5521", "000045999", "WIRE-9999"])
def test_another_customers_payment_gets_the_answer_an_unknown_one_gets(other):
    said, _ = ask(ActionTellPaymentStatus(), f"did you get our payment {other}?",
                  "ask_payment_status")
    assert said == (f"I couldn't find {other} among the payments and invoices of your account. "
                    "Please check the reference (it's on your remittance advice or bank "
                    "confirmation) and send it again, exactly as written there.")


def test_an_unknown_reference_is_never_answered_with_another_payment():
    # The reported bug: a reference of a shape the NLU never saw, nothing extracted, and
    # the answer was "Yes: we received ..." about the latest payment.
    said, _ = ask(ActionTellPaymentStatus(), "did you receive Ref 000045999 yet",
                  "ask_payment_status")
    assert "Yes" not in said and "000045999" in said and not MONEY.search(said)


def test_with_nothing_named_the_latest_payments_are_listed_as_such():
    said, _ = ask(ActionTellPaymentStatus(), "did you get our payment?", "ask_payment_status")
    assert said.startswith("You didn't name a payment, so here are the latest ones on file")
    assert said.index("chq-10991") < said.index("000045123") < said.index("WIRE-5520")
    assert "Yes" not in said


def test_a_payment_question_about_an_invoice_gives_the_payments_applied_to_it():
    said, _ = ask(ActionTellPaymentStatus(), "did you get the payment for 2026/0142?",
                  "ask_payment_status")
    assert said.startswith("Yes: we received $1,000.00 by ACH on Nov 10, 2026 (reference 000045123)")
    said, _ = ask(ActionTellPaymentStatus(), "have you got our payment for fac-000123",
                  "ask_payment_status")
    assert said.startswith("I don't see any payment applied to invoice fac-000123 yet")


def test_an_amount_is_not_taken_for_the_invoice_whose_number_it_spells():
    # 412.50 is the amount of fac-000123, and invoice 41250 exists: neither is "named".
    said, _ = ask(ActionTellPaymentStatus(), "we sent 412.50 last week", "ask_payment_status",
                  {"amount": "412.50"})
    assert said.startswith("I don't see a payment matching that yet"), said


def test_answers_follow_the_callers_language_and_currency():
    said, _ = ask(ActionTellPaymentStatus(), "ist WIRE-5521 angekommen?", "ask_payment_status",
                  sender=JONAS_SLACK, slots={"language": "de"})
    assert said.startswith("Ja: 3.300,00\xa0€ per Überweisung ist am 30.09.2026"), said
    said, _ = ask(ActionTellPaymentStatus(), "ist WIRE-5520 angekommen?", "ask_payment_status",
                  sender=JONAS_SLACK, slots={"language": "de"})
    assert said.startswith("Ich konnte WIRE-5520 unter den Zahlungen und Rechnungen"), said


def test_invoice_copy_by_a_foreign_shape_and_not_for_another_customers(ledger):
    said, _ = ask(ActionSendInvoiceCopy(), "send me a copy of 2026/0142", "request_invoice_copy")
    assert said.startswith("Here it is: invoice 2026/0142 ($1,500.00 open"), said
    assert "/webhooks/documents/d/" in said
    with ledger.session() as session:
        requests = session.query(DocumentRequest).all()
        assert [r.invoice_id is not None for r in requests] == [True]
    said, _ = ask(ActionSendInvoiceCopy(), "copy of 2026/0143 please", "request_invoice_copy")
    assert said.startswith("I couldn't find invoice 2026/0143 on your account")
    with ledger.session() as session:
        assert session.query(DocumentRequest).count() == 1


def test_payment_link_names_the_invoice_in_its_own_shape_and_refuses_another_customers():
    said, _ = ask(ActionGivePaymentOptions(), "how do i pay fac 123", "request_payment_link")
    assert "https://pay.example.com/pay?account=400123&invoice=fac-000123" in said, said
    said, _ = ask(ActionGivePaymentOptions(), "how do i pay 2026/0142", "request_payment_link")
    assert "invoice=2026%2F0142" in said, said
    said, _ = ask(ActionGivePaymentOptions(), "pay link for 81235", "request_payment_link")
    assert said.startswith("I couldn't find invoice 81235 on your account") and "http" not in said
    said, _ = ask(ActionGivePaymentOptions(), "how do we pay you?", "request_payment_link")
    assert "https://pay.example.com/pay?account=400123\n" in said, said


def test_a_web_visitors_request_in_a_foreign_shape_is_answered_once_they_are_verified(ledger):
    visitor = ("web-kestrel-1", "rest")
    question = "did you get our payment Ref 000045123?"
    said, events = ask(ActionTellPaymentStatus(), question, "ask_payment_status", sender=visitor)
    assert "confirm who you are" in said and followups(events) == ["identity_form"]
    assert slot_events(events)["pending_invoice"] == question
    with ledger.session() as session:
        result = verify_by_knowledge(session, "web-kestrel-1", "400123", "81234",
                                     ledger.settings, ledger.now())
    assert result.status == "verified"
    # action_resume_request put what the request named in the invoice_number slot.
    said, events = ask(ActionTellPaymentStatus(), "81234", "inform", sender=visitor,
                       slots={"invoice_number": question}, latest_action="action_resume_request")
    assert said.startswith("Yes: we received $1,000.00 by ACH on Nov 10, 2026 "
                           "(reference 000045123)"), said
    assert slot_events(events)["invoice_number"] is None


def test_a_request_that_reads_no_records_does_not_carry_its_text_through_verification():
    said, events = ask(ActionSendStatement(), "statement for account 400123 please",
                       "request_statement", sender=("web-kestrel-2", "rest"))
    assert "confirm who you are" in said and slot_events(events)["pending_invoice"] is None
