"""The questions forms ask: one action per slot (so a form resumed after another request
says which request it returns to) and the summary the customer confirms."""

from actions.base import ar_app, caller_of
from actions.contacts import confirm_contact_change
from actions.disputes import confirm_dispute
from datetime import date
from decimal import Decimal

from actions.forms import CONFIRMED, NOTED, AskFormSlot, ask_action, resumes_after_aside
from bot.conversation.parsing import WHOLE_BALANCE
from actions.plans import confirm_plan
from actions.promises import confirm_promise

SUMMARIES = {"payment_plan_form": confirm_plan, "dispute_form": confirm_dispute,
             "promise_form": confirm_promise, "contact_preference_form": confirm_contact_change}

def _money(turn, caller, text):
    return turn.money(Decimal(text), caller.currency)


def _day(turn, text):
    return turn.day(date.fromisoformat(text))


def _invoices(turn, numbers):
    return [turn.fragment("utter_noted_invoice", invoice_number=n.strip())
            for n in numbers.split(",")] if numbers else []


def noted_plan(session, caller, turn) -> list[str]:
    from actions.forms import caller_balance

    amount, items = turn.slot("plan_amount"), _invoices(turn, turn.slot("plan_invoices"))
    if amount == WHOLE_BALANCE:
        items.append(turn.fragment("utter_noted_whole_balance", amount=turn.money(
            caller_balance(session, caller), caller.currency)))
    elif amount:
        items.append(_money(turn, caller, amount))
    if turn.slot("plan_instalments"):
        items.append(turn.fragment("utter_noted_count", count=turn.slot("plan_instalments")))
    if turn.slot("plan_start_date"):
        items.append(turn.fragment("utter_noted_start", date=_day(turn, turn.slot("plan_start_date"))))
    return items


def noted_promise(session, caller, turn) -> list[str]:
    items = _invoices(turn, turn.slot("promise_invoice"))
    if turn.slot("promise_amount"):
        items.append(_money(turn, caller, turn.slot("promise_amount")))
    if turn.slot("promise_date"):
        items.append(turn.fragment("utter_noted_on", date=_day(turn, turn.slot("promise_date"))))
    return items


def noted_dispute(session, caller, turn) -> list[str]:
    items = _invoices(turn, turn.slot("dispute_invoice"))
    amount = turn.slot("disputed_amount")
    if amount == "all":
        items.append(turn.fragment("utter_noted_whole_invoice"))
    elif amount:
        items.append(_money(turn, caller, amount))
    if turn.slot("dispute_reason"):
        items.append(turn.fragment(f"utter_dispute_reason_{turn.slot('dispute_reason')}"))
    return items


NOTED.update({"payment_plan_form": noted_plan, "promise_form": noted_promise,
              "dispute_form": noted_dispute})

# Slots whose question is just their utter_ask_<slot> response.
for _slot in ("plan_instalments", "plan_start_date", "dispute_invoice", "dispute_reason",
              "disputed_amount", "dispute_description", "promise_amount", "promise_date",
              "preference_field"):
    globals()[f"ActionAsk_{_slot}"] = ask_action(_slot)


class ActionAskFormConfirmed(AskFormSlot):
    """Sums up what will be recorded, in the customer's language and money format."""

    slot = CONFIRMED

    def run_sync(self, turn):
        form = (turn.tracker.active_loop or {}).get("name") or ""
        if resumes_after_aside(turn.tracker):
            turn.dispatcher.utter_message(text=turn.fragment(f"utter_form_back_{form}"))
        with ar_app().session() as session:
            caller = caller_of(session, turn.tracker)
            if caller is not None and form in SUMMARIES:
                SUMMARIES[form](session, caller, turn)
        return []

    def question(self, turn, form):
        return ""  # the summary is said by run_sync
