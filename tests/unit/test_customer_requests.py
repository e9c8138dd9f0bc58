"""What customers ask for: disputes, promises to pay, contact changes, documents, a person,
and finding or making payments. Each request is checked against the caller's own account."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.conversation.identity import find_invoice, identify, verify_by_knowledge
from bot.ledger.figures import invoice_status, on_collections_hold
from bot.ledger.models import (
    AuditEntry,
    Contact,
    ContactChange,
    Dispute,
    HandoffRequest,
    Invoice,
    PromiseToPay,
)
from bot.requests.contacts import ContactInputError, update_contact_preference
from bot.requests.disputes import DisputeInputError, open_dispute, reason_from_text
from bot.handoff.service import request_handoff
from bot.requests.payments import find_payments, payment_options
from bot.requests.promises import PromiseInputError, record_promise
from bot.settings import load_settings

ACME_NET_BALANCE = Decimal("15475.50")


def _invoice(session, number: str) -> Invoice:
    return session.scalars(select(Invoice).where(Invoice.invoice_number == number)).one()


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def web_caller(demo_db, settings, now):
    """A web-chat visitor who proved the ACME-001 account, but not which contact they are."""
    with demo_db.session() as session:
        result = verify_by_knowledge(session, "web-1", "ACME-001", "INV-2026-0101", settings,
                                     now)
    assert result.status == "verified"
    return result.caller


# --- disputes ----------------------------------------------------------------------------

def test_dispute_gets_a_reference_and_puts_the_invoice_on_hold(demo_db, jane, today):
    with demo_db.session() as session:
        invoice = find_invoice(session, jane, "inv 2026-0142")
        assert invoice_status(invoice, today) == "overdue"
        dispute, created = open_dispute(session, jane, invoice, "pricing", None,
                                        "  Belts were quoted at a lower price.  ")
    assert created and dispute.reference.startswith("DSP-")
    with demo_db.session() as session:
        invoice = _invoice(session, "INV-2026-0142")
        assert invoice_status(invoice, today) == "disputed"
        assert on_collections_hold(invoice)
        stored = session.scalars(select(Dispute)).one()
        assert (stored.reference, stored.amount, stored.reason, stored.status) == (
            dispute.reference, Decimal("3150.00"), "pricing", "open")
        assert stored.description == "Belts were quoted at a lower price."
        assert stored.contact_id == jane.contact_id
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "dispute_opened")).one()
        assert entry.details["reference"] == dispute.reference
        assert entry.details["collections_hold"] is True


def test_a_second_dispute_on_the_same_invoice_returns_the_open_one(demo_db, jane):
    with demo_db.session() as session:
        first, created = open_dispute(session, jane, _invoice(session, "INV-2026-0203"),
                                      "quantity", Decimal("100.00"), "short shipped")
    assert created
    with demo_db.session() as session:
        again, created = open_dispute(session, jane, _invoice(session, "INV-2026-0203"),
                                      "damaged", Decimal("50.00"), "also damaged")
        assert not created
        assert again.reference == first.reference and again.reason == "quantity"
        assert _count(session, Dispute) == 1


def test_a_partial_dispute_is_recorded_for_its_amount(demo_db, jane):
    with demo_db.session() as session:
        dispute, _ = open_dispute(session, jane, _invoice(session, "INV-2026-0231"), "quantity",
                                  Decimal("1800.00"), "one pump missing")
    assert dispute.amount == Decimal("1800.00")


@pytest.mark.parametrize(
    ("amount", "code"),
    [("5400.01", "amount_above_invoice"), ("0", "amount_not_positive")],
)
def test_dispute_amount_must_be_within_the_invoice(demo_db, jane, today, amount, code):
    with demo_db.session() as session:
        with pytest.raises(DisputeInputError) as refused:
            open_dispute(session, jane, _invoice(session, "INV-2026-0231"), "pricing",
                         Decimal(amount), "")
    assert refused.value.code == code
    with demo_db.session() as session:
        assert _count(session, Dispute) == 0
        assert invoice_status(_invoice(session, "INV-2026-0231"), today) == "open"


def test_another_customers_invoice_cannot_be_disputed(demo_db, jane, today):
    with demo_db.session() as session:
        with pytest.raises(DisputeInputError) as refused:
            open_dispute(session, jane, _invoice(session, "7731"), "pricing", None, "")
    assert refused.value.code == "invoice_not_found"
    with demo_db.session() as session:
        assert _count(session, Dispute) == 0
        assert invoice_status(_invoice(session, "7731"), today) == "overdue"


def test_unknown_dispute_reason_is_refused(demo_db, jane):
    with demo_db.session() as session:
        with pytest.raises(DisputeInputError) as refused:
            open_dispute(session, jane, _invoice(session, "INV-2026-0231"), "too expensive",
                         None, "")
    assert refused.value.code == "unknown_reason"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("1", "pricing"), ("4", "not_received"), ("duplicate", "duplicate"),
     ("you charged us twice", "duplicate"), ("the goods arrived damaged", "damaged"),
     ("nunca llegó el pedido", "not_received"), ("7", None), ("hmm", None)],
)
def test_reason_from_text(text, reason):
    assert reason_from_text(text) == reason


# --- promises to pay ---------------------------------------------------------------------

def test_valid_promise_is_recorded_with_a_reference(demo_db, jane, today):
    promised = today + timedelta(days=7)
    with demo_db.session() as session:
        invoice = _invoice(session, "INV-2026-0101")
        promise = record_promise(session, jane, Decimal("4200.00"), promised, today, 60, invoice)
    assert promise.reference.startswith("PTP-")
    with demo_db.session() as session:
        stored = session.scalars(select(PromiseToPay)).one()
        assert (stored.reference, stored.amount, stored.promised_date, stored.status) == (
            promise.reference, Decimal("4200.00"), promised, "open")
        assert stored.invoice_id == invoice.id and stored.contact_id == jane.contact_id
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "promise_to_pay_recorded")).one()
        assert entry.details == {"reference": promise.reference, "amount": "4200.00",
                                 "date": promised.isoformat()}


@pytest.mark.parametrize("days", [0, 60])
def test_promise_for_today_or_the_last_day_of_the_horizon_is_accepted(demo_db, jane, today,
                                                                      days):
    with demo_db.session() as session:
        promise = record_promise(session, jane, ACME_NET_BALANCE, today + timedelta(days=days),
                                 today, 60)
    assert promise.promised_date == today + timedelta(days=days)


@pytest.mark.parametrize(
    ("amount", "days", "code"),
    [("100.00", -1, "date_in_past"),
     ("100.00", 61, "date_beyond_horizon"),
     ("15475.51", 7, "amount_above_balance"),
     ("0", 7, "amount_not_positive")],
)
def test_impossible_promises_are_refused(demo_db, jane, today, amount, days, code):
    with demo_db.session() as session:
        with pytest.raises(PromiseInputError) as refused:
            record_promise(session, jane, Decimal(amount), today + timedelta(days=days), today,
                           60)
    assert refused.value.code == code
    if code == "date_beyond_horizon":
        assert refused.value.details["latest"] == today + timedelta(days=60)
    if code == "amount_above_balance":
        assert refused.value.details["balance"] == ACME_NET_BALANCE
    with demo_db.session() as session:
        assert _count(session, PromiseToPay) == 0


# --- contact preferences -----------------------------------------------------------------

def test_phone_identified_caller_changes_their_channel_at_once(demo_db, jane):
    with demo_db.session() as session:
        change = update_contact_preference(session, jane, "channel", " Email ")
    assert change.status == "applied" and change.reference.startswith("CHG-")
    assert (change.old_value, change.new_value) == ("sms", "email")
    with demo_db.session() as session:
        assert session.get(Contact, jane.contact_id).preferred_channel == "email"


def test_phone_identified_caller_changes_their_email_at_once(demo_db, jane):
    with demo_db.session() as session:
        change = update_contact_preference(session, jane, "email",
                                           "it's Jane.D@Acme.Example now")
    assert change.status == "applied"
    assert (change.old_value, change.new_value) == ("jane.doe@acme.example",
                                                    "jane.d@acme.example")
    with demo_db.session() as session:
        assert session.get(Contact, jane.contact_id).email == "jane.d@acme.example"


def test_new_contact_is_recorded_pending_and_cannot_identify_yet(demo_db, jane, now):
    with demo_db.session() as session:
        change = update_contact_preference(session, jane, "new_contact",
                                           "Mary Major, mary.major@acme.example, +1 415 555 0199")
    assert change.status == "pending_confirmation" and change.field == "new_contact"
    with demo_db.session() as session:
        mary = session.scalars(select(Contact).where(Contact.email == "mary.major@acme.example")
                               ).one()
        assert (mary.name, mary.phone, mary.status) == ("Mary Major", "+14155550199", "pending")
        assert mary.customer.account_number == "ACME-001"
        # Until AR confirms her, texting from that phone proves nothing.
        assert identify(session, "+14155550199", "twilio", now) is None


def test_web_verified_callers_email_change_waits_for_confirmation(demo_db, web_caller):
    with demo_db.session() as session:
        change = update_contact_preference(session, web_caller, "email", "ap@acme.example")
    assert change.status == "pending_confirmation"
    assert change.contact_id is None and change.new_value == "ap@acme.example"
    with demo_db.session() as session:
        emails = set(session.scalars(select(Contact.email).where(Contact.customer_id ==
                                                                 web_caller.customer_id)))
    assert emails == {"jane.doe@acme.example", "bob.smith@acme.example"}


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("email", "jane at acme dot com", "invalid_email"),
     ("email", "jane@localhost", "invalid_email"),
     ("phone", "call me", "invalid_phone"),
     ("channel", "pigeon", "unknown_channel"),
     ("language", "klingon", "unknown_language"),
     ("new_contact", "Mary Major", "new_contact_incomplete"),
     ("address", "1 Main St", "unknown_field")],
)
def test_invalid_contact_changes_are_refused(demo_db, jane, field, value, code):
    with demo_db.session() as session:
        with pytest.raises(ContactInputError) as refused:
            update_contact_preference(session, jane, field, value)
    assert refused.value.code == code
    with demo_db.session() as session:
        assert _count(session, ContactChange) == 0
        assert session.get(Contact, jane.contact_id).email == "jane.doe@acme.example"


@pytest.mark.parametrize(
    ("field", "value"),
    [("new_contact", "Bob Smith bob.smith@acme.example"),  # already on file
     ("email", "bob.smith@acme.example")],                # Jane taking Bob's address
)
def test_an_email_already_on_file_is_handled_not_a_crash(demo_db, jane, field, value):
    """The account already has a contact with that address. The assistant must answer
    (refuse, or leave it to AR) rather than fail on the database's unique constraint."""
    with demo_db.session() as session:
        try:
            change = update_contact_preference(session, jane, field, value)
        except ContactInputError:
            change = None
        if change is not None:
            assert change.status == "pending_confirmation"
    with demo_db.session() as session:
        assert _count(session, Contact) == 7 + (change is not None and field == "new_contact")


# --- a person ----------------------------------------------------------------------------

def test_a_second_handoff_request_reuses_the_waiting_one(demo_db, jane):
    with demo_db.session() as session:
        first, created = request_handoff(session, "+14155550101", jane, "customer_asked")
    assert created and first.reference.startswith("HND-")
    with demo_db.session() as session:
        again, created = request_handoff(session, "+14155550101", jane, "misunderstanding")
        assert not created and again.reference == first.reference
        assert again.reason == "customer_asked"
        assert _count(session, HandoffRequest) == 1


def test_a_new_handoff_once_the_last_was_closed(demo_db, jane):
    with demo_db.session() as session:
        first, _ = request_handoff(session, "conv-1", jane, "customer_asked")
    with demo_db.session() as session:
        session.get(HandoffRequest, first.id).status = "resolved"
    with demo_db.session() as session:
        second, created = request_handoff(session, "conv-1", jane, "customer_asked")
    assert created and second.reference != first.reference


def test_an_unidentified_visitor_can_ask_for_a_person(demo_db):
    with demo_db.session() as session:
        handoff, created = request_handoff(session, "web-9", None, "verification_locked")
    assert created and handoff.customer_id is None
    with demo_db.session() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "handoff_requested")).one()
        assert entry.actor == "conversation:web-9"


# --- payments ----------------------------------------------------------------------------

def _references(payments) -> list[str]:
    return [p.payment_reference for p in payments]


@pytest.mark.parametrize("reference", ["WIRE-77031", "wire 77031", "77031", "wire-77031"])
def test_find_payment_by_reference(demo_db, jane, reference):
    with demo_db.session() as session:
        assert _references(find_payments(session, jane, reference=reference)) == ["WIRE-77031"]


def test_another_customers_payment_is_not_found(demo_db, jane):
    with demo_db.session() as session:
        assert find_payments(session, jane, reference="FT2611-0412") == []
        assert find_payments(session, jane, amount=Decimal("6100.00")) == []


@pytest.mark.parametrize(
    ("amount", "found"),
    [("750.00", ["CHK-10234"]), ("1000", ["WIRE-77031"]), ("2500.00", ["ACH-558120"]),
     ("123.45", [])],
)
def test_find_payment_by_amount(demo_db, jane, amount, found):
    with demo_db.session() as session:
        assert _references(find_payments(session, jane, amount=Decimal(amount))) == found


@pytest.mark.parametrize(
    ("sent_on", "found"),
    [(date(2026, 11, 18), ["CHK-10234"]),   # received the day it was sent
     (date(2026, 11, 13), ["CHK-10234"]),   # five days in transit
     (date(2026, 11, 12), []),              # six days: too long
     (date(2026, 11, 19), []),              # received before it was sent: not it
     (date(2026, 10, 8), ["WIRE-77031"])],
)
def test_find_payment_by_the_day_it_was_sent(demo_db, jane, sent_on, found):
    with demo_db.session() as session:
        assert _references(find_payments(session, jane, sent_on=sent_on)) == found


def test_find_payment_by_amount_and_date_together(demo_db, jane):
    with demo_db.session() as session:
        assert _references(find_payments(session, jane, amount=Decimal("750"),
                                         sent_on=date(2026, 11, 16))) == ["CHK-10234"]
        assert find_payments(session, jane, amount=Decimal("1000"),
                             sent_on=date(2026, 11, 16)) == []


def test_with_nothing_to_go_on_the_most_recent_payments_newest_first(demo_db, jane):
    with demo_db.session() as session:
        assert _references(find_payments(session, jane)) == [
            "CHK-10234", "WIRE-77031", "ACH-558120"]


def test_payment_options_link_names_the_invoice_and_instructions_match_currency(
        demo_db, jane, settings):
    with demo_db.session() as session:
        invoice = _invoice(session, "INV-2026-0101")
    options = payment_options(jane, invoice, settings)
    assert options.pay_link == ("https://pay.example.com/pay?account=ACME-001"
                                "&invoice=INV-2026-0101")
    assert options.currency == "USD"
    assert "ABA 021000021" in options.bank_instructions
    account_only = payment_options(jane, None, settings)
    assert account_only.pay_link == "https://pay.example.com/pay?account=ACME-001"


@pytest.mark.parametrize(
    ("phone", "currency", "words"),
    [("+4915112345678", "EUR", "IBAN"), ("+14165550123", "CAD", "transit 00012")],
)
def test_bank_instructions_follow_the_account_currency(demo_db, settings, phone_caller, phone,
                                                       currency, words):
    with demo_db.session() as session:
        caller = phone_caller(session, phone)
    options = payment_options(caller, None, settings)
    assert options.currency == currency
    assert words in options.bank_instructions
    assert "ABA" not in options.bank_instructions


def test_configured_bank_instructions_and_portal_replace_the_demo_ones(demo_db, jane,
                                                                       tmp_path):
    configured = load_settings({
        "AR_STATE_DIR": str(tmp_path),
        "AR_BANK_INSTRUCTIONS_USD": "Wire to First Test Bank, account 42.",
        "AR_PAY_PORTAL_URL": "https://portal.test/pay?inv={invoice_number}&acct={account_number}",
    })
    with demo_db.session() as session:
        invoice = _invoice(session, "INV-2026-0203")
    assert payment_options(jane, invoice, configured).pay_link == (
        "https://portal.test/pay?inv=INV-2026-0203&acct=ACME-001")
    options = payment_options(jane, None, configured)
    assert options.pay_link == "https://portal.test/pay?acct=ACME-001"
    assert options.bank_instructions == "Wire to First Test Bank, account 42."
    # Only the configured currencies: no demo bank details for anyone else.
    assert configured.bank_instructions == {"USD": "Wire to First Test Bank, account 42."}
