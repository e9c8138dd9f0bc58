"""Customers talking to the real servers over Rasa's REST channel (which proves nothing
about the sender, so web visitors verify first)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.integration.chat import Customer, visitor

pytestmark = pytest.mark.servers


def verify_as_acme(customer: Customer, first_question: str) -> str:
    reply = customer.says(first_question)
    assert "confirm who you are" in reply and "account number" in reply
    assert "$" not in reply
    assert "invoice" in customer.says("ACME-001")
    return customer.says("INV-2026-0101")


def test_web_visitor_verifies_and_gets_the_balance_they_asked_for(assistant):
    jane = visitor(assistant)
    reply = verify_as_acme(jane, "hi, what's our current balance?")
    assert "verified for Acme Corporation" in reply
    assert "$16,225.50 open" in reply and "$10,825.50 of it is overdue" in reply


def test_other_customers_invoice_reads_as_unknown_and_shows_nothing(assistant):
    jane = visitor(assistant)
    verify_as_acme(jane, "what do we owe")
    reply = jane.says("can you check the status of invoice 30918")
    assert "couldn't find invoice 30918" in reply
    assert "12,400" not in reply and "Globex" not in reply
    missing = jane.says("can you check the status of invoice 99999")
    assert missing.replace("99999", "N") == reply.replace("30918", "N")


def test_unverified_sender_asking_for_an_invoice_gets_no_figure(assistant):
    stranger = visitor(assistant)
    reply = stranger.says("is invoice 30918 paid?")
    assert "confirm who you are" in reply
    assert "12,400" not in reply and "€" not in reply
    wrong = stranger.says("GLOBEX-002")
    wrong = stranger.says("INV-2026-0101")
    assert "don't match our records" in wrong


def test_promise_to_pay_is_recorded_end_to_end_and_the_transcript_is_kept(assistant):
    jane = visitor(assistant)
    verify_as_acme(jane, "whats my balance")
    reply = jane.says("we will pay $2,000 next friday")
    assert "you will pay $2,000.00 on Nov 27, 2026" in reply and "yes or no" in reply
    reply = jane.says("yes")
    assert "promise to pay $2,000.00 on Nov 27, 2026" in reply
    texts = [e.get("text") for e in jane.transcript() if e["event"] in ("user", "bot")]
    assert "we will pay $2,000 next friday" in texts
    assert any(t and "promise to pay" in t for t in texts)


def test_dispute_form_takes_answers_and_puts_the_invoice_on_hold(assistant):
    jane = visitor(assistant)
    verify_as_acme(jane, "balance please")
    reply = jane.says("I want to dispute an invoice")
    assert "Which invoice do you want to dispute" in reply
    assert "What is the problem" in jane.says("INV-2026-0203")
    assert "How much" in jane.says("2")
    assert "what happened" in jane.says("all")
    reply = jane.says("we ordered 10 units and were billed for 12")
    assert "a dispute on invoice INV-2026-0203 for $1,875.50" in reply
    reply = jane.says("yes")
    assert "opened dispute DSP-" in reply and "INV-2026-0203" in reply
    assert "under dispute" in jane.says("what's the status of INV-2026-0203")


def test_the_http_api_refuses_a_caller_without_the_token(assistant):
    url = f"http://127.0.0.1:{assistant.rasa_port}/conversations/anyone/tracker"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=30)
    assert refused.value.code == 401


def test_payment_plan_outside_policy_goes_to_ar(assistant):
    jane = visitor(assistant)
    verify_as_acme(jane, "how much do we owe")
    assert "How much would you like to put on the plan" in jane.says(
        "can we set up a payment plan")
    assert "how many monthly payments" in jane.says("the whole balance").lower()
    assert "first payment" in jane.says("12")
    assert "12 monthly payments" in jane.says("December 15")
    reply = jane.says("yes")
    assert "for AR approval" in reply or "for approval" in reply
    assert "more than 6 payments" in reply


def test_cancel_leaves_a_form_and_a_person_can_be_asked_for(assistant):
    jane = visitor(assistant)
    verify_as_acme(jane, "what is my balance")
    jane.says("I'd like to set up a payment plan")
    assert "cancelled" in jane.says("never mind")
    reply = jane.says("I want to talk to a real person")
    assert "asked our AR team to take over (request HND-" in reply


def test_emoji_and_huge_messages_get_an_answer_not_an_error(assistant):
    assert visitor(assistant).says("👍🙏") != ""
    assert visitor(assistant).says("invoice " * 2000) != ""
    assert "confirm who you are" in visitor(assistant).says("balance???  💸")
