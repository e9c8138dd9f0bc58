"""Who is talking: no figure is shown to anyone the ledger cannot tie to the account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.conversation.identity import find_invoice, identify, verify_by_knowledge
from bot.ledger.models import AuditEntry, Contact, VerifiedConversation
from bot.settings import load_settings

JANE_PHONE = "+14155550101"  # Jane Doe, Acme Corporation (ACME-001)
PETER_SLACK = "U03INITECH"   # Peter Gibbons, Initech Ltd (INITECH-003)


# --- channels whose connector proves the sender ------------------------------------------

@pytest.mark.parametrize(
    ("sender", "channel"),
    [(JANE_PHONE, "twilio"), (JANE_PHONE, "twilio_messaging"),
     (f"whatsapp:{JANE_PHONE}", "twilio"), (f"whatsapp:{JANE_PHONE}", "whatsapp")],
)
def test_sms_and_whatsapp_callers_are_identified_by_phone(demo_db, now, sender, channel):
    with demo_db.session() as session:
        caller = identify(session, sender, channel, now)
    assert caller is not None
    assert (caller.account_number, caller.contact_name, caller.verified_by) == (
        "ACME-001", "Jane Doe", "phone")
    assert caller.currency == "USD" and caller.language == "en"
    assert caller.actor == f"contact:{caller.contact_id}"


def test_contact_language_wins_over_the_customer_language(demo_db, now):
    with demo_db.session() as session:
        klaus = identify(session, "whatsapp:+4915112345678", "twilio", now)
    assert (klaus.account_number, klaus.language, klaus.currency) == ("GLOBEX-002", "de", "EUR")


def test_slack_caller_is_identified_by_slack_user_id(demo_db, now):
    with demo_db.session() as session:
        caller = identify(session, PETER_SLACK, "slack", now)
        # A Slack user id says nothing over SMS, and a phone says nothing over Slack.
        assert identify(session, PETER_SLACK, "twilio", now) is None
        assert identify(session, JANE_PHONE, "slack", now) is None
    assert (caller.account_number, caller.contact_name, caller.verified_by) == (
        "INITECH-003", "Peter Gibbons", "slack")


@pytest.mark.parametrize("channel", ["rest", "socketio", None, "REST"])
def test_a_phone_number_typed_as_sender_id_on_other_channels_proves_nothing(
        demo_db, now, channel):
    with demo_db.session() as session:
        assert identify(session, JANE_PHONE, channel, now) is None
        assert identify(session, f"whatsapp:{JANE_PHONE}", channel, now) is None


def test_an_unknown_phone_is_not_identified(demo_db, now):
    with demo_db.session() as session:
        assert identify(session, "+14155559999", "twilio", now) is None


def test_a_contact_not_yet_confirmed_is_not_identified(demo_db, now):
    with demo_db.session() as session:
        bob = session.scalars(select(Contact).where(Contact.name == "Bob Smith")).one()
        bob.status = "pending"
    with demo_db.session() as session:
        assert identify(session, "+14155550102", "twilio", now) is None


# --- web chat: account number plus an invoice number -------------------------------------

@pytest.mark.parametrize(
    ("account", "invoice"),
    [("INITECH-003", "7731"), ("initech-003", "inv#7731"), (" Initech-003 ", "INV 7731"),
     ("INITECH-003", "invoice no. 7790"), ("INITECH-003", "it's invoice 7731, thanks"),
     ("ACME-001", "inv-2026-0101"), ("acme-001", "INV 2026-0231"),
     ("ACME-001", "INV-2026-0088")],  # a paid invoice is still the account's invoice
)
def test_account_and_any_of_its_invoice_numbers_verify(demo_db, settings, now, account,
                                                        invoice):
    with demo_db.session() as session:
        result = verify_by_knowledge(session, "web-1", account, invoice, settings, now)
    assert result.status == "verified"
    assert result.caller.account_number == account.strip().upper()
    assert result.caller.contact_id is None and result.caller.verified_by == "knowledge"
    with demo_db.session() as session:
        later = identify(session, "web-1", "rest", now + timedelta(minutes=5))
        assert later is not None and later.account_number == account.strip().upper()
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "verified")).one()
        assert audit.actor == "conversation:web-1"


def test_another_customers_invoice_does_not_verify(demo_db, settings, now):
    with demo_db.session() as session:
        result = verify_by_knowledge(session, "web-1", "ACME-001", "7731", settings, now)
    assert result.status == "mismatch" and result.caller is None
    with demo_db.session() as session:
        assert identify(session, "web-1", "rest", now) is None


def test_wrong_invoice_wrong_account_and_foreign_invoice_get_the_same_answer(
        demo_db, settings, now):
    """Nothing in the answer tells a guesser which part was wrong or that an invoice
    exists elsewhere."""
    tries = {
        "nonexistent": ("ACME-001", "INV-2026-9999"),
        "another customer's": ("ACME-001", "30918"),
        "unknown account": ("NOPE-999", "INV-2026-0101"),
    }
    answers = {}
    for n, (label, (account, invoice)) in enumerate(tries.items()):
        with demo_db.session() as session:
            answers[label] = verify_by_knowledge(session, f"web-{n}", account, invoice,
                                                 settings, now)
    assert len(set(answers.values())) == 1
    assert answers["nonexistent"].status == "mismatch"
    assert answers["nonexistent"].attempts_left == settings.verification_max_attempts - 1


def test_failed_attempts_lock_the_conversation_even_for_the_right_answer(
        demo_db, settings, now):
    assert settings.verification_max_attempts == 3
    statuses = []
    for _ in range(3):
        with demo_db.session() as session:
            result = verify_by_knowledge(session, "web-1", "ACME-001", "wrong", settings, now)
        statuses.append((result.status, result.attempts_left))
    assert statuses == [("mismatch", 2), ("mismatch", 1), ("locked", 0)]
    with demo_db.session() as session:
        result = verify_by_knowledge(session, "web-1", "ACME-001", "INV-2026-0101", settings,
                                     now)
    assert result.status == "locked" and result.caller is None
    with demo_db.session() as session:
        assert identify(session, "web-1", "rest", now) is None
        # Another conversation (another visitor) is not locked by this one.
        other = verify_by_knowledge(session, "web-2", "ACME-001", "INV-2026-0101", settings,
                                    now)
    assert other.status == "verified"


def test_the_lock_lifts_after_the_window(demo_db, settings, now):
    for _ in range(3):
        with demo_db.session() as session:
            verify_by_knowledge(session, "web-1", "ACME-001", "wrong", settings, now)
    later = now + timedelta(minutes=settings.verification_window_minutes + 1)
    with demo_db.session() as session:
        result = verify_by_knowledge(session, "web-1", "ACME-001", "INV-2026-0101",
                                     settings, later)
    assert result.status == "verified"


def test_failures_on_one_account_across_many_conversations_lock_that_account(
        demo_db, settings, now):
    limit = settings.verification_max_account_failures
    assert limit == 10
    for n in range(limit):
        with demo_db.session() as session:
            result = verify_by_knowledge(session, f"guesser-{n}", "acme-001", f"{n}",
                                         settings, now)
        assert result.status == "mismatch"
    with demo_db.session() as session:
        fresh = verify_by_knowledge(session, "guesser-new", "ACME-001", "INV-2026-0101",
                                    settings, now)
        other_account = verify_by_knowledge(session, "guesser-new-2", "INITECH-003", "7731",
                                            settings, now)
    assert fresh.status == "locked"
    assert other_account.status == "verified"


def test_limits_come_from_settings(demo_db, tmp_path, now):
    strict = load_settings({"AR_STATE_DIR": str(tmp_path), "AR_VERIFICATION_MAX_ATTEMPTS": "1"})
    with demo_db.session() as session:
        first = verify_by_knowledge(session, "web-1", "ACME-001", "wrong", strict, now)
    assert (first.status, first.attempts_left) == ("locked", 0)


def test_verification_expires_after_its_ttl(demo_db, settings, now):
    with demo_db.session() as session:
        assert verify_by_knowledge(session, "web-1", "ACME-001", "INV-2026-0101", settings,
                                   now).status == "verified"
    ttl = timedelta(hours=settings.verification_ttl_hours)
    with demo_db.session() as session:
        assert identify(session, "web-1", "rest", now + ttl - timedelta(minutes=1)) is not None
        assert identify(session, "web-1", "rest", now + ttl + timedelta(seconds=1)) is None
        stored = session.scalars(select(VerifiedConversation)).one()
        assert stored.expires_at == now + ttl


def test_reverifying_replaces_the_earlier_verification(demo_db, settings, now):
    with demo_db.session() as session:
        verify_by_knowledge(session, "web-1", "ACME-001", "INV-2026-0101", settings, now)
    with demo_db.session() as session:
        verify_by_knowledge(session, "web-1", "INITECH-003", "7731", settings, now)
    with demo_db.session() as session:
        assert identify(session, "web-1", "rest", now).account_number == "INITECH-003"
        assert len(session.scalars(select(VerifiedConversation)).all()) == 1


# --- invoices the caller names -----------------------------------------------------------

def test_find_invoice_finds_the_callers_own_invoice_in_any_spelling(demo_db, now):
    with demo_db.session() as session:
        peter = identify(session, PETER_SLACK, "slack", now)
        for text in ("7731", "inv#7731", "INV 7731", "invoice 7731 please", "Invoice #7731"):
            found = find_invoice(session, peter, text)
            assert found is not None and found.invoice_number == "7731", text
        jane = identify(session, JANE_PHONE, "twilio", now)
        assert find_invoice(session, jane, "inv 2026-0142").invoice_number == "INV-2026-0142"


def test_find_invoice_never_returns_another_customers_invoice(demo_db, now):
    with demo_db.session() as session:
        jane = identify(session, JANE_PHONE, "twilio", now)
        for text in ("7731", "30918", "F-2026-551", "VD-2026-120", "invoice UM-4411"):
            assert find_invoice(session, jane, text) is None, text
        peter = identify(session, PETER_SLACK, "slack", now)
        assert find_invoice(session, peter, "INV-2026-0101") is None
        assert find_invoice(session, peter, "") is None
