"""Requests the customer makes through forms: verification, plans, disputes, promises,
contact changes, a person, and what happens when the assistant does not understand."""

import asyncio
import threading

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.utils import call_potential_coroutine
from sqlalchemy import update

from actions.balance import ActionTellBalance
from actions.contacts import (
    ActionSubmitContactPreference,
    ValidateContactPreferenceForm,
)
from actions.conversation import ActionDefaultFallback, ActionRequestHuman, ActionResumeRequest
from actions.disputes import ActionSubmitDispute, ValidateDisputeForm
from actions.identity import ValidateIdentityForm
from actions.invoices import ActionTellInvoiceStatus
from actions.plans import ActionStartPaymentPlan, ActionSubmitPaymentPlan, ValidatePaymentPlanForm
from actions.promises import ActionSubmitPromise, ValidatePromiseForm
from bot.ledger.models import Contact, Customer, HandoffRequest, PaymentPlan
from tests.actions.conftest import (
    DOMAIN,
    JANE_SMS,
    WEB_VISITOR,
    fill,
    followups,
    make_tracker,
    run_action,
    slot_events,
    validate,
)


def test_web_visitor_verifies_with_account_and_invoice_then_sees_the_balance():
    tracker = make_tracker(WEB_VISITOR, "ACME-001")
    said, result = validate(ValidateIdentityForm(), "account_number", "ACME-001", tracker)
    assert result == {"account_number": "ACME-001"} and said == []
    tracker = make_tracker(WEB_VISITOR, "inv 2026-0101", slots={"account_number": "ACME-001"})
    said, result = validate(ValidateIdentityForm(), "verification_invoice", "inv 2026-0101",
                            tracker)
    assert said == ["Thank you, you're verified for Acme Corporation (ACME-001)."]
    resumed = make_tracker(WEB_VISITOR, slots={"pending_request": "action_tell_balance",
                                              "account_number": "ACME-001"},
                           latest_action="identity_form")
    _, events = run_action(ActionResumeRequest(), resumed)
    assert followups(events) == ["action_tell_balance"]
    said, _ = run_action(ActionTellBalance(), make_tracker(WEB_VISITOR, "balance"))
    assert "$16,225.50" in said[0]


def test_verification_waiting_for_the_ledger_leaves_the_workers_other_turns_going(demo_app):
    """Another transaction is writing to the ledger: verification waits for it on a
    thread, while the event loop (every other turn of the worker) goes on."""
    writing, release = threading.Event(), threading.Event()

    def another_writer() -> None:
        with demo_app.session() as session:
            session.execute(update(Customer).where(Customer.account_number == "ACME-001")
                            .values(name=Customer.name))
            writing.set()
            release.wait(1)  # given up after a second whatever happens

    async def verify_meanwhile() -> tuple[bool, dict]:
        tracker = make_tracker(WEB_VISITOR, "ACME-001 INV-2026-0203")
        verification = asyncio.ensure_future(call_potential_coroutine(
            ValidateIdentityForm().validate_account_number(
                "ACME-001 INV-2026-0203", CollectingDispatcher(), tracker, DOMAIN)))
        for _ in range(5):  # other turns' work, on the loop
            await asyncio.sleep(0.02)
        waiting = not verification.done()
        release.set()
        return waiting, await verification

    holder = threading.Thread(target=another_writer)
    holder.start()
    assert writing.wait(5)
    waiting, result = asyncio.run(verify_meanwhile())
    holder.join(5)
    assert waiting  # the loop ran while verification waited for the ledger
    assert result["verification_invoice"] == "ok"


def test_words_without_digits_are_not_taken_for_an_account_number():
    tracker = make_tracker(WEB_VISITOR, "what is my balance???")
    _, result = validate(ValidateIdentityForm(), "account_number", "what is my balance???", tracker)
    assert result == {"account_number": None}
    _, result = validate(ValidateIdentityForm(), "account_number", "it's ACME-001", tracker)
    assert result == {"account_number": "ACME-001"}


def test_both_answers_in_one_message_verify_at_once():
    tracker = make_tracker(WEB_VISITOR, "ACME-001 INV-2026-0203")
    said, result = validate(ValidateIdentityForm(), "account_number", "ACME-001 INV-2026-0203",
                            tracker)
    assert result["verification_invoice"] == "ok"
    assert "verified for Acme Corporation" in said[0]


def test_another_customers_invoice_does_not_verify_and_attempts_run_out():
    answers = []
    for _ in range(4):
        tracker = make_tracker(WEB_VISITOR, "30918", slots={"account_number": "ACME-001"})
        said, result = validate(ValidateIdentityForm(), "verification_invoice", "30918", tracker)
        answers.append(said[0])
    assert "don't match our records. You have 2 more attempt(s)" in answers[0]
    assert "1 more attempt(s)" in answers[1]
    assert "can't verify you right now" in answers[2]
    # Locked: even the right answer is refused now.
    tracker = make_tracker(WEB_VISITOR, "INV-2026-0101", slots={"account_number": "ACME-001"})
    said, _ = validate(ValidateIdentityForm(), "verification_invoice", "INV-2026-0101", tracker)
    assert "can't verify you right now" in said[0]
    _, events = run_action(ActionResumeRequest(), make_tracker(
        WEB_VISITOR, slots={"pending_request": "action_tell_balance"}))
    assert "action_tell_balance" not in followups(events)


def test_invoice_named_before_verification_is_the_one_answered_after_it():
    tracker = make_tracker(WEB_VISITOR, "is INV-2026-0142 paid", "ask_invoice_status",
                           {"invoice_number": "INV-2026-0142"})
    _, events = run_action(ActionTellInvoiceStatus(), tracker)
    assert slot_events(events)["pending_invoice"] == "INV-2026-0142"
    validate(ValidateIdentityForm(), "account_number", "ACME-001 INV-2026-0101",
             make_tracker(WEB_VISITOR, "ACME-001 INV-2026-0101"))
    _, events = run_action(ActionResumeRequest(), make_tracker(
        WEB_VISITOR, slots={"pending_request": "action_tell_invoice_status",
                            "pending_invoice": "INV-2026-0142", "account_number": "ACME-001"}))
    assert slot_events(events)["invoice_number"] == "INV-2026-0142"


def test_plan_within_policy_is_approved_with_its_schedule():
    slots = {"plan_amount": "whole_balance", "plan_instalments": "3",
             "plan_start_date": "2026-12-01", "form_confirmed": "yes"}
    said, events = run_action(ActionSubmitPaymentPlan(),
                              make_tracker(JANE_SMS, slots=slots, latest_action="payment_plan_form"))
    assert "payment plan PLN-" in said[0] and "for $15,475.50 is approved" in said[0]
    assert "$5,158.50 on Dec 1, 2026; $5,158.50 on Jan 1, 2027; $5,158.50 on Feb 1, 2027" in said[0]
    assert slot_events(events)["plan_amount"] is None


def test_plan_outside_policy_goes_to_ar_and_says_why():
    slots = {"plan_amount": "6000", "plan_instalments": "12", "plan_start_date": "2026-12-01",
             "form_confirmed": "yes"}
    said, _ = run_action(ActionSubmitPaymentPlan(), make_tracker(JANE_SMS, slots=slots))
    assert "sent it to our AR team for approval, because it has more than 6 payments" in said[0]
    assert "runs past 180 days" in said[0]


def test_plan_form_rejects_more_than_the_balance_and_dates_in_the_past():
    asking = {"requested_slot": "plan_amount"}
    said, slots = fill(ValidatePaymentPlanForm(), "$90,000", asking)
    assert "plan_amount" not in slots and "more than your open balance of $15,475.50" in said[0]
    said, slots = fill(ValidatePaymentPlanForm(), "the whole balance", asking)
    assert slots["plan_amount"] == "whole_balance" and slots["requested_slot"] == "plan_instalments"
    said, slots = fill(ValidatePaymentPlanForm(), "starting 2026-11-01", asking)
    assert "plan_start_date" not in slots and "already passed" in said[0]
    said, slots = fill(ValidatePaymentPlanForm(), "three", {"requested_slot": "plan_instalments"})
    assert slots["plan_instalments"] == "3"


def test_plan_form_reads_every_slot_of_one_message_by_its_kind():
    said, slots = fill(ValidatePaymentPlanForm(), "3 monthly payments starting on the 15th of "
                       "next month, for the whole balance", {"requested_slot": "plan_amount"})
    assert said == []
    assert slots == {"plan_amount": "whole_balance", "plan_instalments": "3",
                     "plan_start_date": "2026-12-15", "form_confirmed": None, "form_misses": 0,
                     "requested_slot": "form_confirmed"}


def test_a_count_is_never_an_amount_nor_a_date_a_count():
    _, slots = fill(ValidatePaymentPlanForm(), "3 monthly payments", {"requested_slot": "plan_amount"})
    assert slots["plan_instalments"] == "3" and "plan_amount" not in slots
    _, slots = fill(ValidatePaymentPlanForm(), "starting on the 15th of next month",
                    {"requested_slot": "plan_instalments", "plan_amount": "whole_balance"})
    assert slots["plan_start_date"] == "2026-12-15" and "plan_instalments" not in slots


def test_another_request_in_a_form_fills_nothing_so_the_form_steps_aside():
    asking = {"requested_slot": "plan_amount"}
    said, slots = fill(ValidatePaymentPlanForm(), "what's our total balance?", asking, "ask_balance")
    assert said == [] and slots == {}
    said, slots = fill(ValidatePaymentPlanForm(), "is invoice INV-2026-0142 paid?", asking,
                       "ask_invoice_status")
    assert said == [] and slots == {}


def test_an_answer_that_fits_nothing_is_asked_again_with_an_example_then_a_person():
    asking = {"requested_slot": "plan_instalments", "plan_amount": "whole_balance"}
    said, slots = fill(ValidatePaymentPlanForm(), "hmm purple", asking)
    assert "for example '3 payments'" in said[0] and slots["form_misses"] == 1
    said, slots = fill(ValidatePaymentPlanForm(), "purple again", {**asking, "form_misses": 1})
    assert "agent" in said[1] and slots["form_misses"] == 2
    said, slots = fill(ValidatePaymentPlanForm(), "thanks", asking, "thank")
    assert said == [] and "plan_instalments" not in slots and slots["form_misses"] == 0


def test_a_correction_changes_that_one_value_and_asks_to_confirm_again():
    done = {"plan_amount": "whole_balance", "plan_instalments": "3",
            "plan_start_date": "2026-12-15", "requested_slot": "form_confirmed"}
    _, slots = fill(ValidatePaymentPlanForm(), "no, make it 4 payments", done, "deny")
    assert slots["plan_instalments"] == "4" and slots["requested_slot"] == "form_confirmed"
    assert "plan_start_date" not in slots
    _, slots = fill(ValidatePaymentPlanForm(), "the 20th instead", done)
    assert slots["plan_start_date"] == "2026-12-20"
    _, slots = fill(ValidatePaymentPlanForm(), "yes", done, "affirm")
    assert slots["form_confirmed"] == "yes" and slots["requested_slot"] is None


def test_cancel_in_any_language_leaves_the_form():
    for text in ("cancel", "never mind", "olvídalo", "laisse tomber", "vergiss es", "esquece"):
        said, slots = fill(ValidatePaymentPlanForm(), text, {"requested_slot": "plan_amount",
                                                              "plan_instalments": "3"})
        assert slots["requested_slot"] is None and slots["plan_instalments"] is None, text


def test_nothing_is_recorded_without_a_confirmation(ledger):
    slots = {"plan_amount": "whole_balance", "plan_instalments": "3",
             "plan_start_date": "2026-12-01"}
    said, _ = run_action(ActionSubmitPaymentPlan(), make_tracker(JANE_SMS, slots=slots))
    assert said == []
    with ledger.session() as session:
        assert session.query(PaymentPlan).count() == 0


def test_plan_request_from_a_verified_caller_opens_the_form():
    said, events = run_action(ActionStartPaymentPlan(), make_tracker(JANE_SMS))
    assert said == [] and followups(events) == ["payment_plan_form"]


def test_plan_request_from_an_unverified_sender_verifies_first():
    said, events = run_action(ActionStartPaymentPlan(), make_tracker(WEB_VISITOR))
    assert followups(events) == ["identity_form"]
    assert slot_events(events)["pending_request"] == "action_start_payment_plan"


def test_dispute_puts_the_invoice_on_hold_with_a_reference():
    _, slots = fill(ValidateDisputeForm(), "2", {"requested_slot": "dispute_reason",
                                                 "dispute_invoice": "INV-2026-0177"})
    assert slots["dispute_reason"] == "quantity"
    slots = {"dispute_invoice": "INV-2026-0177", "dispute_reason": "quantity",
             "disputed_amount": "all", "dispute_description": "we got 40 boxes, not 50",
             "form_confirmed": "yes"}
    said, _ = run_action(ActionSubmitDispute(), make_tracker(JANE_SMS, slots=slots))
    assert "opened dispute DSP-" in said[0] and "on invoice INV-2026-0177 for $2,800.00" in said[0]
    said, _ = run_action(ActionTellInvoiceStatus(), make_tracker(
        JANE_SMS, "INV-2026-0177?", "ask_invoice_status", {"invoice_number": "INV-2026-0177"}))
    assert "under dispute DSP-" in said[0] and "on hold from collections" in said[0]


def test_dispute_amount_above_the_invoice_is_refused():
    said, slots = fill(ValidateDisputeForm(), "$5,000", {"dispute_invoice": "INV-2026-0203",
                                                         "requested_slot": "disputed_amount"})
    assert "disputed_amount" not in slots and "$1,875.50" in said[0]


def test_a_dispute_told_in_one_message_fills_invoice_reason_amount_and_description():
    text = "we were billed for 40 rolls but received 30 on INV-2026-0142, so $412.50 of it is wrong"
    _, slots = fill(ValidateDisputeForm(), text, {"requested_slot": "dispute_invoice"},
                    "open_dispute")
    assert slots["dispute_invoice"] == "INV-2026-0142" and slots["dispute_reason"] == "quantity"
    assert slots["disputed_amount"] == "412.50" and slots["dispute_description"] == text
    assert slots["requested_slot"] == "form_confirmed"


def test_promise_with_a_relative_date_is_recorded():
    _, slots = fill(ValidatePromiseForm(), "we will pay invoice INV-2026-0142 in full next friday",
                    {"requested_slot": "promise_amount"}, "promise_to_pay")
    assert slots["promise_date"] == "2026-11-27" and slots["promise_amount"] == "2150.00"
    assert slots["promise_invoice"] == "INV-2026-0142"
    slots = {"promise_amount": "2000", "promise_date": "2026-11-27", "form_confirmed": "yes"}
    said, _ = run_action(ActionSubmitPromise(), make_tracker(JANE_SMS, slots=slots))
    assert said[0].startswith("Thanks! I've noted your promise to pay $2,000.00 on Nov 27, 2026")


def test_promise_too_far_ahead_is_refused_with_the_latest_date():
    said, slots = fill(ValidatePromiseForm(), "2027-06-01", {"requested_slot": "promise_date",
                                                             "promise_amount": "100"})
    assert "promise_date" not in slots and "up to Jan 22, 2027" in said[0]


def test_text_me_instead_changes_the_channel_at_once(ledger):
    _, slots = fill(ValidateContactPreferenceForm(), "text me instead of email",
                    {"requested_slot": "preference_field"}, "update_contact_preference")
    assert slots["preference_field"] == "channel" and slots["preference_value"] == "sms"
    said, _ = run_action(ActionSubmitContactPreference(), make_tracker(
        JANE_SMS, slots={"preference_field": "channel", "preference_value": "whatsapp",
                         "form_confirmed": "yes"}))
    assert "your preferred channel is now WhatsApp" in said[0]
    with ledger.session() as session:
        assert session.get(Contact, 1).preferred_channel == "whatsapp"


def test_a_language_change_is_stored_and_answered_in_the_new_language(ledger):
    said, events = run_action(ActionSubmitContactPreference(), make_tracker(
        JANE_SMS, slots={"preference_field": "language", "preference_value": "Deutsch",
                         "language": "en", "form_confirmed": "yes"}))
    assert "Deutsch" in said[0] or "deutsch" in said[0].lower()
    assert "your preferred" not in said[0]  # not the English wording
    assert slot_events(events)["language"] == "de"
    with ledger.session() as session:
        assert session.get(Contact, 1).language == "de"


def test_a_web_visitors_language_switch_applies_now_and_waits_for_ar_to_store(ledger):
    validate(ValidateIdentityForm(), "account_number", "ACME-001 INV-2026-0203",
             make_tracker(WEB_VISITOR, "ACME-001 INV-2026-0203"))
    said, events = run_action(ActionSubmitContactPreference(), make_tracker(
        WEB_VISITOR, slots={"preference_field": "language", "preference_value": "español",
                            "language": "en", "form_confirmed": "yes"}))
    assert slot_events(events)["language"] == "es"
    assert "CHG-" in said[0] and "your preferred" not in said[0]


def test_new_contact_waits_for_ar_confirmation(ledger):
    _, slots = fill(ValidateContactPreferenceForm(), "5", {"requested_slot": "preference_field"})
    assert slots["preference_field"] == "new_contact"
    said, _ = run_action(ActionSubmitContactPreference(), make_tracker(
        JANE_SMS, slots={"preference_field": "new_contact", "form_confirmed": "yes",
                         "preference_value": "Maria Lopez maria.lopez@acme.example"}))
    assert "Our AR team will confirm it before it takes effect" in said[0]
    with ledger.session() as session:
        maria = session.query(Contact).filter_by(email="maria.lopez@acme.example").one()
        assert maria.status == "pending"


def test_asking_for_a_person_records_one_handoff(ledger):
    said, _ = run_action(ActionRequestHuman(), make_tracker(JANE_SMS, "agent", "request_human"))
    assert "asked our AR team to take over (request HND-" in said[0]
    said, _ = run_action(ActionRequestHuman(), make_tracker(JANE_SMS, "agent!!", "request_human"))
    assert "already with our AR team" in said[0]
    with ledger.session() as session:
        assert session.query(HandoffRequest).count() == 1


def test_second_miss_in_a_row_hands_over_to_a_person(ledger):
    said, _ = run_action(ActionDefaultFallback(), make_tracker(JANE_SMS, "blorp", "nlu_fallback"))
    assert said[0].startswith("Sorry, I didn't get that")
    said, _ = run_action(ActionDefaultFallback(), make_tracker(
        JANE_SMS, "zzz", "nlu_fallback", earlier_intents=["nlu_fallback"]))
    assert "passing you to a person" in said[0]
    assert "asked our AR team to take over (request HND-" in said[1]
    with ledger.session() as session:
        assert session.query(HandoffRequest).one().reason == "misunderstanding"


def test_email_already_on_file_for_a_colleague_is_refused_clearly(ledger):
    said, _ = run_action(ActionSubmitContactPreference(), make_tracker(
        JANE_SMS, slots={"preference_field": "email", "form_confirmed": "yes",
                         "preference_value": "bob.smith@acme.example"}))
    assert "already on file for another contact" in said[0]
    with ledger.session() as session:
        assert session.get(Contact, 1).email == "jane.doe@acme.example"


def test_a_plan_for_one_invoice_is_for_what_is_open_on_it():
    _, slots = fill(ValidatePaymentPlanForm(), "Can INV-2026-0142 go on a plan? 2 monthly payments "
                    "from the 10th of december", {"requested_slot": "plan_amount"},
                    "request_payment_plan")
    assert slots["plan_amount"] == "2150.00" and slots["plan_invoices"] == "INV-2026-0142"
    assert slots["plan_instalments"] == "2" and slots["plan_start_date"] == "2026-12-10"


def test_changing_the_email_is_the_address_not_the_channel():
    _, slots = fill(ValidateContactPreferenceForm(), "quiero cambiar el correo a donde nos "
                    "mandan las facturas", {"requested_slot": "preference_field"})
    assert slots["preference_field"] == "email" and "preference_value" not in slots
    _, slots = fill(ValidateContactPreferenceForm(), "el nuevo es pagos@acme.example",
                    {"requested_slot": "preference_value", "preference_field": "email"})
    assert slots.get("preference_value") == "pagos@acme.example"
    _, slots = fill(ValidateContactPreferenceForm(), "please use WhatsApp from now on",
                    {"requested_slot": "preference_field"})
    assert (slots["preference_field"], slots["preference_value"]) == ("channel", "whatsapp")
