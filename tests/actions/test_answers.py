"""What a customer is told when they ask about their account."""

from actions.balance import ActionTellBalance
from actions.documents import ActionSendInvoiceCopy, ActionSendStatement
from actions.invoices import ActionTellInvoiceStatus, ValidateInvoiceForm
from actions.payments import ActionGivePaymentOptions, ActionTellPaymentStatus
from tests.actions.conftest import (
    JANE_SMS, PETER_SLACK, WEB_VISITOR, followups, make_tracker, run_action, slot_events,
    validate,
)


def test_balance_for_a_known_phone_gives_open_overdue_aging_and_oldest_invoice():
    said, _ = run_action(ActionTellBalance(), make_tracker(JANE_SMS, "what do we owe"))
    text = said[0]
    assert "Acme Corporation has $16,225.50 open across 5 invoice(s)" in text
    assert "$10,825.50 of it is overdue" in text
    assert "$750.00 in unapplied payments" in text and "$15,475.50" in text
    assert "oldest overdue invoice is INV-2026-0101 for $4,200.00" in text
    assert "current $5,400.00" in text and "over 90 days $4,200.00" in text


def test_balance_is_in_the_account_currency_for_a_slack_user():
    said, _ = run_action(ActionTellBalance(), make_tracker(PETER_SLACK, "balance?"))
    assert "Initech Ltd has CA$4,850.00 open" in said[0]


def test_unverified_web_sender_gets_no_figure_and_is_asked_to_verify():
    said, events = run_action(ActionTellBalance(), make_tracker(WEB_VISITOR, "my balance"))
    assert said == ["Before I share account details I need to confirm who you are."]
    assert followups(events) == ["identity_form"]
    assert slot_events(events)["pending_request"] == "action_tell_balance"


def test_a_phone_number_as_rest_sender_id_proves_nothing():
    said, events = run_action(ActionTellBalance(), make_tracker(("+14155550101", "rest")))
    assert followups(events) == ["identity_form"]
    assert not any("$" in s for s in said)


def test_invoice_status_open_and_overdue_with_last_payment():
    tracker = make_tracker(JANE_SMS, "is INV-2026-0142 paid?", "ask_invoice_status",
                           {"invoice_number": "INV-2026-0142"})
    said, _ = run_action(ActionTellInvoiceStatus(), tracker)
    assert said == ["Invoice INV-2026-0142: $2,150.00 open of $3,150.00, due Sep 19, 2026 "
                    "(overdue by 65 day(s)). Last payment: $1,000.00 (WIRE-77031) received "
                    "Oct 10, 2026."]


def test_invoice_number_in_another_shape_is_found_from_the_message():
    tracker = make_tracker(PETER_SLACK, "status of inv#7731 pls", "ask_invoice_status")
    said, _ = run_action(ActionTellInvoiceStatus(), tracker)
    assert said[0].startswith("Invoice 7731: CA$3,600.00 open of CA$3,600.00")


def test_paid_invoice_says_paid():
    tracker = make_tracker(JANE_SMS, "inv 2026-0088 paid?", "ask_invoice_status",
                           {"invoice_number": "2026-0088"})
    said, _ = run_action(ActionTellInvoiceStatus(), tracker)
    assert said[0].startswith("Invoice INV-2026-0088 for $2,500.00 is paid in full.")


def test_another_customers_invoice_gets_the_same_answer_as_a_missing_one():
    def answer(number):
        tracker = make_tracker(JANE_SMS, f"status of {number}", "ask_invoice_status",
                               {"invoice_number": number})
        said, _ = run_action(ActionTellInvoiceStatus(), tracker)
        return said[0].replace(number, "N")

    globex_invoice, missing = answer("30918"), answer("99999")
    assert globex_invoice == missing
    assert "couldn't find invoice" in missing
    assert "12,400" not in globex_invoice and "Globex" not in globex_invoice


def test_no_invoice_named_asks_which_one():
    said, events = run_action(ActionSendInvoiceCopy(),
                              make_tracker(JANE_SMS, "send me a copy", "request_invoice_copy"))
    assert said == [] and followups(events) == ["invoice_form"]


def test_invoice_form_refuses_another_customers_invoice():
    tracker = make_tracker(JANE_SMS, "30918", "ask_invoice_status")
    said, result = validate(ValidateInvoiceForm(), "invoice_number", "30918", tracker)
    assert result == {"invoice_number": None}
    assert "couldn't find invoice 30918" in said[0]


def test_an_invoice_copy_by_sms_is_a_link_to_that_invoice(ledger):
    tracker = make_tracker(JANE_SMS, "resend INV-2026-0203", "request_invoice_copy",
                           {"invoice_number": "INV-2026-0203"})
    said, _ = run_action(ActionSendInvoiceCopy(), tracker)
    assert said[0].startswith("Here it is: invoice INV-2026-0203 ($1,875.50 open, due "
                              "Nov 4, 2026). Open the PDF here: http://127.0.0.1:5005/"
                              "webhooks/documents/d/")
    assert "should arrive" not in said[0] and "reference DOC-" in said[0]


def test_a_copy_of_the_last_invoice_and_the_balance_asked_together(ledger):
    text = "whats our balnce? also can u send me a copy of the last invoice"
    tracker = make_tracker(JANE_SMS, text, "request_invoice_copy")
    said, events = run_action(ActionSendInvoiceCopy(), tracker)
    assert said[0].startswith("Here it is: invoice INV-2026-0231")  # ACME's issued last
    assert followups(events) == ["action_tell_balance"]  # then the balance


def test_which_invoice_is_asked_after_the_other_questions_of_the_message(ledger):
    text = "can you send me a copy of the invoice? and what's our balance"
    copy = make_tracker(JANE_SMS, text, "request_invoice_copy")
    said, events = run_action(ActionSendInvoiceCopy(), copy)
    assert said == [] and followups(events) == ["action_tell_balance"]
    assert slot_events(events)["pending_request"] == "action_send_invoice_copy"
    balance = make_tracker(JANE_SMS, text, "request_invoice_copy")
    balance.events.extend([{"event": "action", "name": "action_send_invoice_copy"},
                           *events[:-1]])  # what the copy action set, its followup aside
    said, events = run_action(ActionTellBalance(), balance)
    assert "$" in said[0] and followups(events) == ["invoice_form"]  # then "which invoice?"


def test_another_customers_invoice_gets_no_document(ledger):
    from sqlalchemy import select

    from bot.ledger.models import DocumentRequest

    tracker = make_tracker(JANE_SMS, "send me invoice 30918", "request_invoice_copy",
                           {"invoice_number": "30918"})
    said, _ = run_action(ActionSendInvoiceCopy(), tracker)
    assert "couldn't find invoice 30918" in said[0] and "http" not in said[0]
    with ledger.session() as session:
        assert session.scalars(select(DocumentRequest)).all() == []


def test_a_statement_for_a_month_is_that_months_activity():
    said, _ = run_action(ActionSendStatement(), make_tracker(
        JANE_SMS, "statement for October please", "request_statement"))
    assert said[0].startswith("Here it is: the account activity of Acme Corporation from "
                              "Oct 1, 2026 to Oct 31, 2026.")


def test_did_you_send_it_is_answered_from_the_delivery_log():
    from actions.documents import ActionTellDocumentStatus

    said, _ = run_action(ActionTellDocumentStatus(), make_tracker(
        JANE_SMS, "did you send it?", "ask_document_status"))
    assert said[0].startswith("I haven't sent you any invoice copy or statement yet.")
    run_action(ActionSendStatement(), make_tracker(JANE_SMS, "statement pls",
                                                   "request_statement"))
    said, _ = run_action(ActionTellDocumentStatus(), make_tracker(
        JANE_SMS, "did you send it?", "ask_document_status"))
    assert said[0].startswith("I gave you a link to the statement of account for Acme "
                              "Corporation in this conversation on ")
    assert "it has not been opened yet" in said[0]


def test_an_address_typed_in_chat_is_not_sent_to():
    said, _ = run_action(ActionSendStatement(), make_tracker(
        JANE_SMS, "email the statement to x@other.example", "request_statement",
        {"email": "x@other.example"}))
    assert said[0].startswith("x•••@other.example is not on file for your account, so I "
                              "have not sent anything there.")


def test_payment_status_by_reference_reports_unapplied_cash():
    tracker = make_tracker(JANE_SMS, "did you get check CHK-10234", "ask_payment_status",
                           {"payment_reference": "CHK-10234"})
    said, _ = run_action(ActionTellPaymentStatus(), tracker)
    assert said[0].startswith("Yes: we received $750.00 by check on Nov 18, 2026")
    assert "$750.00 is not yet applied" in said[0]


def test_payment_status_by_amount_names_the_invoice_it_paid():
    tracker = make_tracker(JANE_SMS, "we sent $1,000 last month", "ask_payment_status",
                           {"amount": "$1,000"})
    said, _ = run_action(ActionTellPaymentStatus(), tracker)
    assert "Applied to: INV-2026-0142 ($1,000.00)" in said[0]


def test_payment_not_found_says_how_long_payments_take():
    tracker = make_tracker(JANE_SMS, "we paid 999.99 yesterday", "ask_payment_status",
                           {"amount": "999.99"})
    said, _ = run_action(ActionTellPaymentStatus(), tracker)
    assert "don't see a payment matching" in said[0]
    assert "CHK-10234" in said[0]


def test_payment_options_link_the_invoice_and_give_bank_details_in_its_currency():
    tracker = make_tracker(JANE_SMS, "how do i pay INV-2026-0231", "request_payment_link",
                           {"invoice_number": "INV-2026-0231"})
    said, _ = run_action(ActionGivePaymentOptions(), tracker)
    assert "account=ACME-001&invoice=INV-2026-0231" in said[0]
    assert "ABA 021000021" in said[0]


def test_email_asked_where_no_mail_server_is_set_up_says_so():
    said, _ = run_action(ActionSendStatement(), make_tracker(
        JANE_SMS, "please email me our statement", "request_statement"))
    assert said[0].startswith("I can't send email from here, so here it is instead: the "
                              "statement of account for Acme Corporation.")
