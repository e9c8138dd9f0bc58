"""Payment plans: amount, instalments and start read from any message, a summary the
customer confirms, then the plan on file, approved by policy or sent to AR."""

from datetime import date
from decimal import Decimal

from actions.base import CallerAction, ar_app, caller_of
from actions.handoff import hand_to_person
from actions.forms import (
    CONFIRMED,
    AskFormSlot,
    ListeningForm,
    StartFormAction,
    caller_balance,
    clear,
    refuse_when_nothing_owed,
)
from bot.conversation.parsing import WHOLE_BALANCE
from bot.handoff.triggers import plan_needs_person
from bot.requests.form_answers import FORM_SLOTS
from bot.requests.plans import PlanInputError, preview_payment_plan, request_payment_plan

PLAN_SLOTS = FORM_SLOTS["payment_plan_form"] + ("plan_invoices", CONFIRMED)


class ActionStartPaymentPlan(StartFormAction):
    def name(self) -> str:
        return "action_start_payment_plan"

    form_name = "payment_plan_form"

    def refuse(self, session, caller, turn):
        return refuse_when_nothing_owed(session, caller, turn)


class ActionAskPlanAmount(AskFormSlot):
    slot = "plan_amount"

    def question(self, turn, form):
        with ar_app().session() as session:
            caller = caller_of(session, turn.tracker)
            balance = turn.money(caller_balance(session, caller), caller.currency) if caller else ""
        return turn.fragment("utter_ask_plan_amount", balance=balance)


class ValidatePaymentPlanForm(ListeningForm):
    def name(self) -> str:
        return "validate_payment_plan_form"

    def extract_plan_amount(self, turn):
        return self.extract("plan_amount", turn)

    def extract_plan_instalments(self, turn):
        return self.extract("plan_instalments", turn)

    def extract_plan_start_date(self, turn):
        return self.extract("plan_start_date", turn)

    def extract_plan_invoices(self, turn):
        return self.extract("plan_invoices", turn)


def plan_terms(session, caller, turn):
    """The plan the slots describe, checked by the policy, nothing written."""
    app = ar_app()
    amount = turn.slot("plan_amount") or WHOLE_BALANCE
    return preview_payment_plan(
        session, caller, None if amount == WHOLE_BALANCE else Decimal(amount),
        int(turn.slot("plan_instalments") or 1),
        date.fromisoformat(turn.slot("plan_start_date")), app.today(), app.settings.plan_policy)


def schedule_text(turn, caller, instalments) -> str:
    return "; ".join(turn.fragment("utter_schedule_item", amount=turn.money(amount, caller.currency),
                                   date=turn.day(due)) for due, amount in instalments)


def confirm_plan(session, caller, turn) -> None:
    try:
        terms = plan_terms(session, caller, turn)
    except PlanInputError:  # nothing owed any more: say so rather than sum up
        turn.say("utter_nothing_owed")
        return
    invoices = turn.slot("plan_invoices")
    turn.say("utter_confirm_plan", total=turn.money(terms.total, caller.currency),
             invoices=turn.fragment("utter_plan_invoices_part", invoice_numbers=invoices)
             if invoices else "",
             count=terms.count, start=turn.day(terms.start),
             schedule=schedule_text(turn, caller, terms.decision.instalments))


class ActionSubmitPaymentPlan(CallerAction):
    def name(self) -> str:
        return "action_submit_payment_plan"

    def answer(self, session, caller, turn):
        if turn.slot(CONFIRMED) != "yes":
            return clear(*PLAN_SLOTS)  # cancelled: nothing is recorded
        app = ar_app()
        amount = turn.slot("plan_amount") or WHOLE_BALANCE
        try:
            plan = request_payment_plan(
                session, caller, None if amount == WHOLE_BALANCE else Decimal(amount),
                int(turn.slot("plan_instalments") or 1),
                date.fromisoformat(turn.slot("plan_start_date")), app.today(),
                app.settings.plan_policy)
        except (PlanInputError, TypeError, ValueError) as refused:
            if getattr(refused, "code", "") == "nothing_owed":
                turn.say("utter_nothing_owed")
            else:
                turn.say("utter_plan_amount_invalid",
                         balance=turn.money(caller_balance(session, caller), caller.currency))
            return clear(*PLAN_SLOTS)
        schedule = schedule_text(turn, caller, [(i.due_date, i.amount) for i in plan.instalments])
        total = turn.money(plan.total_amount, caller.currency)
        if plan.status == "approved":
            turn.say("utter_plan_approved", reference=plan.reference, total=total,
                     schedule=schedule)
        else:
            policy = app.settings.plan_policy
            reasons = turn.fragment("utter_word_and").join(turn.fragment(
                f"utter_plan_reason_{reason}", max_instalments=policy.max_instalments,
                min_first_ratio=int(policy.min_first_payment_ratio * 100),
                max_term_days=policy.max_term_days,
                max_start_delay_days=policy.max_start_delay_days)
                for reason in plan.decision_reasons)
            turn.say("utter_plan_pending", reference=plan.reference, total=total,
                     schedule=schedule, reasons=reasons)
            if plan_needs_person(plan):
                hand_to_person(turn, "plan_outside_policy", plan.reference, session)
        return clear(*PLAN_SLOTS)
