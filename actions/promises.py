"""Promises to pay: how much and when, checked and recorded with a reference."""

from actions.base import CallerAction, ar_app
from actions.forms import (
    CallerFormValidation,
    StartFormAction,
    caller_balance,
    check_future_date,
    clear,
    refuse_when_nothing_owed,
)
from bot.conversation.parsing import parse_amount, parse_date
from bot.requests.promises import PromiseInputError, check_promise_date, record_promise

PROMISE_SLOTS = ("promise_amount", "promise_date")


class ActionStartPromise(StartFormAction):
    def name(self) -> str:
        return "action_start_promise"

    form_name = "promise_form"

    def refuse(self, session, caller, turn):
        return refuse_when_nothing_owed(session, caller, turn)


def _say_refusal(turn, caller, session, refused: PromiseInputError) -> None:
    if refused.code == "date_beyond_horizon":
        turn.say("utter_promise_date_too_far", latest=turn.day(refused.details["latest"]))
    elif refused.code == "date_in_past":
        turn.say("utter_date_invalid")
    else:
        turn.say("utter_promise_amount_invalid",
                 balance=turn.money(caller_balance(session, caller), caller.currency))


class ValidatePromiseForm(CallerFormValidation):
    def name(self) -> str:
        return "validate_promise_form"

    def validate_promise_amount(self, value, dispatcher, tracker, domain):
        def amount(session, caller, turn, text):
            parsed = parse_amount(text, turn.language)
            balance = caller_balance(session, caller)
            if parsed is None or parsed <= 0 or parsed > balance:
                turn.say("utter_promise_amount_invalid",
                         balance=turn.money(balance, caller.currency))
                return None
            return str(parsed)

        return self.check(tracker, dispatcher, domain, "promise_amount", value, amount)

    def validate_promise_date(self, value, dispatcher, tracker, domain):
        def when(session, caller, turn, text):
            iso = check_future_date(turn, text)
            if iso is None:
                return None
            app = ar_app()
            try:
                check_promise_date(parse_date(iso, app.today()), app.today(),
                                   app.settings.promise_horizon_days)
            except PromiseInputError as refused:
                _say_refusal(turn, caller, session, refused)
                return None
            return iso

        return self.check(tracker, dispatcher, domain, "promise_date", value, when)


class ActionSubmitPromise(CallerAction):
    def name(self) -> str:
        return "action_submit_promise"

    def answer(self, session, caller, turn):
        app = ar_app()
        today = app.today()
        amount = parse_amount(turn.slot("promise_amount") or "", turn.language)
        promised = parse_date(turn.slot("promise_date") or "", today, turn.language)
        try:
            if amount is None or promised is None:
                raise PromiseInputError("amount_not_positive" if amount is None else "date_in_past")
            promise = record_promise(session, caller, amount, promised, today,
                                     app.settings.promise_horizon_days)
        except PromiseInputError as refused:
            _say_refusal(turn, caller, session, refused)
            return clear(*PROMISE_SLOTS)
        turn.say("utter_promise_recorded", amount=turn.money(promise.amount, caller.currency),
                 date=turn.day(promise.promised_date), reference=promise.reference)
        return clear(*PROMISE_SLOTS)
