"""Promises to pay: amount, date and invoice read from any message, a summary the customer
confirms, then the promise on file with a reference."""

from datetime import date
from decimal import Decimal

from actions.base import CallerAction, ar_app
from actions.forms import (
    CONFIRMED,
    ListeningForm,
    StartFormAction,
    caller_balance,
    clear,
    refuse_when_nothing_owed,
)
from bot.conversation.identity import find_invoice
from bot.requests.form_answers import FORM_SLOTS
from bot.requests.promises import PromiseInputError, record_promise

PROMISE_SLOTS = FORM_SLOTS["promise_form"] + ("promise_invoice", CONFIRMED)


class ActionStartPromise(StartFormAction):
    def name(self) -> str:
        return "action_start_promise"

    form_name = "promise_form"

    def refuse(self, session, caller, turn):
        return refuse_when_nothing_owed(session, caller, turn)


class ValidatePromiseForm(ListeningForm):
    def name(self) -> str:
        return "validate_promise_form"

    def extract_promise_amount(self, turn):
        return self.extract("promise_amount", turn)

    def extract_promise_date(self, turn):
        return self.extract("promise_date", turn)

    def extract_promise_invoice(self, turn):
        return self.extract("promise_invoice", turn)


def _invoice_part(turn) -> str:
    number = turn.slot("promise_invoice")
    return turn.fragment("utter_promise_invoice_part", invoice_number=number) if number else ""


def confirm_promise(session, caller, turn) -> None:
    turn.say("utter_confirm_promise",
             amount=turn.money(Decimal(turn.slot("promise_amount")), caller.currency),
             date=turn.day(date.fromisoformat(turn.slot("promise_date"))),
             invoice=_invoice_part(turn))


class ActionSubmitPromise(CallerAction):
    def name(self) -> str:
        return "action_submit_promise"

    def answer(self, session, caller, turn):
        if turn.slot(CONFIRMED) != "yes":
            return clear(*PROMISE_SLOTS)  # cancelled: nothing is recorded
        app = ar_app()
        invoice = find_invoice(session, caller, turn.slot("promise_invoice") or "") \
            if turn.slot("promise_invoice") else None
        try:
            promise = record_promise(session, caller, Decimal(turn.slot("promise_amount")),
                                     date.fromisoformat(turn.slot("promise_date")), app.today(),
                                     app.settings.promise_horizon_days, invoice)
        except PromiseInputError as refused:
            if refused.code == "date_beyond_horizon":
                turn.say("utter_promise_date_too_far", latest=turn.day(refused.details["latest"]))
            elif refused.code == "date_in_past":  # the day went by before the yes
                turn.say("utter_date_invalid")
            else:
                turn.say("utter_promise_amount_invalid",
                         balance=turn.money(caller_balance(session, caller), caller.currency))
            return clear(*PROMISE_SLOTS)
        turn.say("utter_promise_recorded", amount=turn.money(promise.amount, caller.currency),
                 date=turn.day(promise.promised_date), reference=promise.reference)
        return clear(*PROMISE_SLOTS)
