"""The questions forms ask: one action per slot (so a form resumed after another request
says which request it returns to) and the summary the customer confirms."""

from actions.base import ar_app, caller_of
from actions.contacts import confirm_contact_change
from actions.disputes import confirm_dispute
from actions.forms import CONFIRMED, AskFormSlot, ask_action
from actions.plans import confirm_plan
from actions.promises import confirm_promise

SUMMARIES = {"payment_plan_form": confirm_plan, "dispute_form": confirm_dispute,
             "promise_form": confirm_promise, "contact_preference_form": confirm_contact_change}

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
        with ar_app().session() as session:
            caller = caller_of(session, turn.tracker)
            if caller is not None and form in SUMMARIES:
                SUMMARIES[form](session, caller, turn)
        return []

    def question(self, turn, form):
        return ""  # the summary is said by run_sync
