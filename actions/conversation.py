"""The conversation around the capabilities: greeting, resuming, cancelling, a person,
and what to do when the assistant did not understand."""

from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet

from actions.base import SyncAction, ar_app, caller_of
from actions.forms import ALL_FORM_SLOTS
from actions.handoff import hand_to_person

IDENTITY_SLOTS = ("account_number", "verification_invoice")
FORM_SLOTS = (IDENTITY_SLOTS + ALL_FORM_SLOTS
              + ("pending_request", "pending_invoice", "pending_text", "requested_slot"))
MISSES_BEFORE_OFFERING_A_PERSON = 2


def _clear(slots) -> list:
    return [SlotSet(slot, None) for slot in slots]


class ActionGreet(SyncAction):
    def name(self) -> str:
        return "action_greet"

    def run_sync(self, turn):
        with ar_app().session() as session:
            caller = caller_of(session, turn.tracker)
        if caller is None:
            turn.say("utter_greet_unknown")
        else:
            turn.say("utter_greet_known", name=caller.contact_name or caller.customer_name)
        return []


class ActionResumeRequest(SyncAction):
    """After verification or "which invoice?", carry on with what the customer asked."""

    def name(self) -> str:
        return "action_resume_request"

    def run_sync(self, turn):
        pending = turn.slot("pending_request")
        events = _clear(IDENTITY_SLOTS + ("pending_request", "pending_invoice"))
        if turn.slot("account_number"):  # verification just ended
            events.append(SlotSet("invoice_number", turn.slot("pending_invoice")))
        with ar_app().session() as session:
            caller = caller_of(session, turn.tracker)
        if caller is not None and pending:
            events.append(FollowupAction(pending))
        return events


class ActionCancelRequest(SyncAction):
    def name(self) -> str:
        return "action_cancel_request"

    def run_sync(self, turn):
        turn.say("utter_request_cancelled")
        return [ActiveLoop(None)] + _clear(FORM_SLOTS)


class ActionRequestHuman(SyncAction):
    def name(self) -> str:
        return "action_request_human"

    def run_sync(self, turn):
        return self.hand_over(turn, "customer_asked")

    @staticmethod
    def hand_over(turn, reason: str) -> list:
        hand_to_person(turn, reason)
        return [ActiveLoop(None)] + _clear(FORM_SLOTS)


class ActionDefaultFallback(SyncAction):
    """Ask to rephrase; after two misses in a row, hand over to a person."""

    def name(self) -> str:
        return "action_default_fallback"

    def run_sync(self, turn):
        misses = 0
        for event in reversed(turn.tracker.events):
            if event.get("event") != "user":
                continue
            if (event.get("parse_data") or {}).get("intent", {}).get("name") != "nlu_fallback":
                break
            misses += 1
        if misses >= MISSES_BEFORE_OFFERING_A_PERSON:
            turn.say("utter_offer_human")
            return ActionRequestHuman.hand_over(turn, "misunderstanding")
        turn.say("utter_please_rephrase")
        return []
