"""Payment plans: ask amount, instalments and start; the policy decides at once."""

from actions.base import CallerAction, SyncAction, ar_app, caller_of
from actions.handoff import hand_to_person
from actions.forms import (
    CallerFormValidation,
    StartFormAction,
    caller_balance,
    check_future_date,
    clear,
    refuse_when_nothing_owed,
)
from bot.conversation.parsing import (
    WHOLE_BALANCE,
    means_whole_balance,
    parse_amount,
    parse_count,
    parse_date,
)
from bot.handoff.triggers import plan_needs_person
from bot.requests.plans import PlanInputError, request_payment_plan

PLAN_SLOTS = ("plan_amount", "plan_instalments", "plan_start_date")
MAX_INSTALMENTS_ASKED = 36


class ActionStartPaymentPlan(StartFormAction):
    def name(self) -> str:
        return "action_start_payment_plan"

    form_name = "payment_plan_form"

    def refuse(self, session, caller, turn):
        return refuse_when_nothing_owed(session, caller, turn)


class ActionAskPlanAmount(SyncAction):
    def name(self) -> str:
        return "action_ask_plan_amount"

    def run_sync(self, turn):
        with ar_app().session() as session:
            caller = caller_of(session, turn.tracker)
            balance = caller_balance(session, caller) if caller else None
        turn.say("utter_ask_plan_amount",
                 balance=turn.money(balance, caller.currency) if caller else "")
        return []


class ValidatePaymentPlanForm(CallerFormValidation):
    def name(self) -> str:
        return "validate_payment_plan_form"

    def validate_plan_amount(self, value, dispatcher, tracker, domain):
        def amount(session, caller, turn, text):
            if means_whole_balance(text):
                return WHOLE_BALANCE
            balance = caller_balance(session, caller)
            parsed = parse_amount(text, turn.language)
            if parsed is None or parsed <= 0 or parsed > balance:
                turn.say("utter_plan_amount_invalid", balance=turn.money(balance, caller.currency))
                return None
            return str(parsed)

        return self.check(tracker, dispatcher, domain, "plan_amount", value, amount)

    def validate_plan_instalments(self, value, dispatcher, tracker, domain):
        def instalments(session, caller, turn, text):
            count = parse_count(text)
            if count is None or not 1 <= count <= MAX_INSTALMENTS_ASKED:
                turn.say("utter_plan_instalments_invalid")
                return None
            return str(count)

        return self.check(tracker, dispatcher, domain, "plan_instalments", value, instalments)

    def validate_plan_start_date(self, value, dispatcher, tracker, domain):
        return self.check(tracker, dispatcher, domain, "plan_start_date", value,
                          lambda session, caller, turn, text: check_future_date(turn, text))


class ActionSubmitPaymentPlan(CallerAction):
    def name(self) -> str:
        return "action_submit_payment_plan"

    def answer(self, session, caller, turn):
        app = ar_app()
        today = app.today()
        amount_text = turn.slot("plan_amount") or WHOLE_BALANCE
        try:
            plan = request_payment_plan(
                session, caller,
                None if amount_text == WHOLE_BALANCE else parse_amount(amount_text, turn.language),
                parse_count(turn.slot("plan_instalments")) or 1,
                parse_date(turn.slot("plan_start_date"), today, turn.language) or today,
                today, app.settings.plan_policy)
        except PlanInputError as refused:
            if refused.code == "nothing_owed":
                turn.say("utter_nothing_owed")
            else:
                turn.say("utter_plan_amount_invalid",
                         balance=turn.money(caller_balance(session, caller), caller.currency))
            return clear(*PLAN_SLOTS)
        schedule = "; ".join(turn.fragment("utter_schedule_item",
                                           amount=turn.money(i.amount, caller.currency),
                                           date=turn.day(i.due_date))
                             for i in plan.instalments)
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
