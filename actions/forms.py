"""What the forms share: opening one with the customer's whole message, reading every
answer whole (bot.requests.form_answers), stepping aside for another request, and asking
only for what is missing, then for a confirmation."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from typing import Any, Optional

from rasa_sdk import FormValidationAction
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet

from actions.base import CallerAction, SyncAction, Turn, ar_app, caller_of
from bot.conversation.identity import Caller
from bot.conversation.message_values import means_cancel, means_no, means_yes
from bot.ledger.figures import account_summary
from bot.ledger.models import Customer
from bot.requests.form_answers import (
    FORM_SLOTS,
    OPTIONAL_SLOTS,
    form_named_in,
    forms_named_in,
    read_form_message,
)

CONFIRMED = "form_confirmed"
MISSES = "form_misses"
OPENING = "form_opening"
FORM_STATE = (CONFIRMED, MISSES, OPENING)
ALL_FORM_SLOTS = tuple(slot for form in FORM_SLOTS for slot in FORM_SLOTS[form]) + tuple(
    slot for form in OPTIONAL_SLOTS for slot in OPTIONAL_SLOTS[form]) + FORM_STATE
MISSES_BEFORE_OFFERING_A_PERSON = 2

# Other requests a customer may make in the middle of a form: answered, then the form
# resumes (data/rules/digressions.yml).
ANSWERED_ASIDE = {"ask_balance", "ask_invoice_status", "ask_payment_status",
                  "request_invoice_copy", "request_statement", "request_payment_link",
                  "request_human", "bot_challenge"}
FORM_OF_INTENT = {"request_payment_plan": "payment_plan_form", "open_dispute": "dispute_form",
                  "promise_to_pay": "promise_form",
                  "update_contact_preference": "contact_preference_form"}
NEITHER_BREAKS_NOR_FILLS = {"greet", "thank", "affirm"}
START_OF = {form: f"action_start_{form[:-len('_form')]}" for form in FORM_OF_INTENT.values()}
# What answers each other request when the customer moves on from "which invoice?".
ACTION_OF_INTENT = {"ask_balance": "action_tell_balance",
                    "ask_payment_status": "action_tell_payment_status",
                    "request_statement": "action_send_statement",
                    "request_payment_link": "action_give_payment_options",
                    "request_payment_plan": "action_start_payment_plan",
                    "open_dispute": "action_start_dispute", "promise_to_pay": "action_start_promise",
                    "update_contact_preference": "action_start_contact_preference"}


def clear(*slots: str) -> list:
    return [SlotSet(slot, None) for slot in slots]


def caller_balance(session, caller):
    return account_summary(session.get(Customer, caller.customer_id), ar_app().today()).net_balance


def refuse_when_nothing_owed(session, caller, turn):
    if caller_balance(session, caller) <= 0:
        turn.say("utter_nothing_owed")
        return []
    return None


class StartFormAction(CallerAction):
    """Verifies the caller, then opens form_name with the message that asked for it (the
    form reads that message whole); subclasses may refuse first."""

    form_name = ""

    @abstractmethod
    def name(self) -> str:
        """The start action's name in the domain."""

    def answer(self, session, caller, turn):
        refusal = self.refuse(session, caller, turn)
        if refusal is not None:
            return refusal
        tracker = turn.tracker
        if tracker.latest_action_name == "action_listen":
            opening = tracker.latest_message.get("text") or ""
        else:  # resumed after verification: the request came before it
            opening = turn.slot("pending_text") or ""
        other = form_named_in(opening, self.form_name)
        if other is not None:  # the words ask for another form than the intent did
            return [SlotSet("pending_text", opening[:1000]), FollowupAction(START_OF[other])]
        events = [ActiveLoop(None)] if (tracker.active_loop or {}).get("name") else []
        # A customer who moves on to another request leaves the form they were in.
        events += clear(*ALL_FORM_SLOTS, "requested_slot", "pending_text")
        return events + [SlotSet(OPENING, opening[:1000]), FollowupAction(self.form_name)]

    def refuse(self, session, caller: Caller, turn: Turn) -> Optional[list]:
        return None


def moved_on(tracker) -> Optional[dict]:
    """Slots that end a one-question form (which invoice?) when the customer, instead of
    answering, asks for something else: that request is then answered (pending_request)."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    intent = message.get("intent") or {}
    action = ACTION_OF_INTENT.get(intent.get("name"))
    if action is None or (intent.get("confidence") or 0) < 0.5 or any(c.isdigit() for c in text):
        return None
    return {"pending_request": action, "pending_text": text[:1000], "requested_slot": None}


def action_before_form(tracker) -> str:
    """The action that ran before the active form: action_listen when the customer just
    wrote, another action when the form resumes or opens. (Rasa hands forms and their
    actions a tracker that already ends with the form's own run.)"""
    form = (tracker.active_loop or {}).get("name")
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") not in (form, None):
            return event["name"]
    return ""


def resumes_after_aside(tracker) -> bool:
    """Whether the form is back after answering another request (not after a message)."""
    form = (tracker.active_loop or {}).get("name")
    latest = action_before_form(tracker)
    return bool(form) and latest not in ("action_listen", form, "action_resume_request") \
        and not latest.startswith("action_start_")


def _cancelled(turn: Turn, response: str = "utter_request_cancelled") -> list:
    turn.say(response)
    return clear(*ALL_FORM_SLOTS) + [SlotSet("requested_slot", None)]


class ListeningForm(FormValidationAction):
    """Reads each message whole for every slot of the form (extract_<slot> methods take
    their value from one reading); a message that is another request fills nothing, so
    the form steps aside (rules answer it and resume the form)."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>."""

    def slots(self) -> tuple[str, ...]:
        return FORM_SLOTS[self.form_name()]

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        return [*self.slots(), CONFIRMED]

    async def run(self, dispatcher, tracker, domain) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.read, Turn(dispatcher, tracker, domain))

    # extract_<slot> (one per slot in each form): the value of that slot's kind in the
    # message's reading, if it has one.
    @staticmethod
    def extract(slot: str, turn: Turn) -> dict:
        values = turn.reading.values
        return {slot: values[slot]} if slot in values else {}

    def read(self, turn: Turn) -> list:
        tracker = turn.tracker
        current = {slot: tracker.get_slot(slot)
                   for slot in ALL_FORM_SLOTS if tracker.get_slot(slot) is not None}
        requested = tracker.get_slot("requested_slot")
        listening = action_before_form(tracker) == "action_listen"
        # Opened by a start action, the form reads the message that asked for it.
        opening = not listening and current.get(OPENING) is not None
        if not opening and not listening:
            return [self._next(current)]  # back after an aside: only ask again
        text = current.pop(OPENING) if opening else tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {})
        name, confidence = intent.get("name"), intent.get("confidence") or 0.0
        if not opening and means_cancel(text):
            return _cancelled(turn)
        app = ar_app()
        with app.session() as session:
            caller = caller_of(session, tracker)
            if caller is None:
                return []
            reading = turn.reading = read_form_message(
                self.form_name(), session, caller, text, app.today(), turn.language,
                None if opening else requested, current, app.settings.promise_horizon_days)
            if not opening:
                if self._steps_aside(name, confidence, reading, text, requested):
                    return []
                if name == "goodbye" and confidence >= 0.5 and not reading.found_values:
                    return _cancelled(turn, "utter_goodbye")
            changed = {}
            for slot in (*self.slots(), *OPTIONAL_SLOTS.get(self.form_name(), ())):
                value = getattr(self, f"extract_{slot}")(turn).get(slot)
                if value is not None and value != current.get(slot):
                    changed[slot] = value
            for refusal in reading.refusals:
                self.refuse(turn, session, caller, refusal)
        events = [SlotSet(slot, value) for slot, value in changed.items()]
        if opening:
            events.append(SlotSet(OPENING, None))
        misses = int(current.get(MISSES) or 0)
        if changed:
            events += [SlotSet(CONFIRMED, None), SlotSet(MISSES, 0)]
            current.pop(CONFIRMED, None)
            current.update(changed)
        elif requested == CONFIRMED and not opening and not reading.refusals:
            if means_yes(text) or (name == "affirm" and not means_no(text)):
                events.append(SlotSet(CONFIRMED, "yes"))
                current[CONFIRMED] = "yes"
            elif means_no(text) or name == "deny":
                return _cancelled(turn)
            else:
                events.append(self._missed(turn, requested, misses))
        elif not opening and not reading.refusals:
            if name in NEITHER_BREAKS_NOR_FILLS and confidence >= 0.4 or means_yes(text):
                events.append(SlotSet(MISSES, misses))  # asked again, nothing counted
            elif name == "deny" and means_no(text):
                return _cancelled(turn)
            else:
                events.append(self._missed(turn, requested, misses))
        elif reading.refusals:
            events.append(SlotSet(MISSES, misses))
        return events + [self._next(current)]

    def _steps_aside(self, intent, confidence, reading, text, requested) -> bool:
        """Whether the message is another request rather than an answer to this form."""
        other = FORM_OF_INTENT.get(intent, self.form_name())
        if other != self.form_name():
            named = forms_named_in(text)
            return confidence >= 0.5 and (not reading.found_values or (
                other in named and self.form_name() not in named))
        if intent not in ANSWERED_ASIDE or confidence < 0.4:
            return False
        if not reading.found_values:
            return True
        words = reading.content_words
        return requested != "dispute_description" and (
            len(words) >= 2 or (bool(words) and "?" in text))

    def _missed(self, turn: Turn, requested: Optional[str], misses: int) -> SlotSet:
        """An answer that fits no open slot: an example; after two, a person too."""
        misses += 1
        turn.say(f"utter_form_example_{requested or self.slots()[0]}")
        if misses >= MISSES_BEFORE_OFFERING_A_PERSON:
            turn.say("utter_form_offer_person")
        return SlotSet(MISSES, misses)

    def _next(self, current: dict) -> SlotSet:
        missing = [slot for slot in (*self.slots(), CONFIRMED) if current.get(slot) is None]
        return SlotSet("requested_slot", missing[0] if missing else None)

    def refuse(self, turn: Turn, session, caller: Caller, refusal) -> None:
        """Tell the customer why a value of the right kind was not kept."""
        details = refusal.details
        if refusal.code == "date_in_past":
            turn.say("utter_date_in_past", date=turn.day(details["date"]))
        elif refusal.code in ("date_beyond_horizon", "date_too_far"):
            turn.say("utter_promise_date_too_far", latest=turn.day(details["latest"]))
        elif refusal.code == "invoice_not_found":
            turn.say("utter_invoice_not_found", invoice_number=details["invoice_number"][:40])
        elif refusal.code == "instalments_out_of_range":
            turn.say("utter_plan_instalments_invalid")
        elif refusal.code in ("amount_above_balance", "nothing_owed"):
            turn.say("utter_form_amount_above_balance", amount=turn.money(
                details["amount"], caller.currency), balance=turn.money(details["limit"],
                                                                         caller.currency))
        elif refusal.code == "amount_above_invoice":
            turn.say("utter_disputed_amount_invalid",
                     invoice_amount=turn.money(details["limit"], caller.currency))
        else:
            turn.say(f"utter_form_example_{refusal.slot}")


# form -> what its filled slots say, as short phrases (filled in by actions.form_questions)
NOTED: dict = {}


class AskFormSlot(SyncAction):
    """Asks for one slot; back from another request, says which form it returns to."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def run_sync(self, turn: Turn) -> list:
        form = (turn.tracker.active_loop or {}).get("name") or ""
        question = self.question(turn, form)
        latest = action_before_form(turn.tracker)
        resuming = resumes_after_aside(turn.tracker)
        if resuming and question:
            back = turn.fragment(f"utter_form_back_{form}")
            question = f"{back} {question}"
        elif question and form in NOTED and not turn.slot(MISSES) and (
                latest == "action_listen" or latest.startswith("action_start_")):
            # What was understood so far, so the customer can see it before the question.
            with ar_app().session() as session:
                caller = caller_of(session, turn.tracker)
                items = NOTED[form](session, caller, turn) if caller else []
            if items:
                noted = turn.fragment("utter_form_noted", items=", ".join(items))
                question = f"{noted} {question}"
        if question:
            turn.dispatcher.utter_message(text=question)
        return []

    @abstractmethod
    def question(self, turn: Turn, form: str) -> str:
        """The question's text in the conversation's language."""


def _plain_question(self, turn: Turn, form: str) -> str:
    return turn.fragment(f"utter_ask_{self.slot}")


def ask_action(slot_name: str) -> type:
    """An AskFormSlot for slot_name asking utter_ask_<slot> (found by its name)."""
    return type(f"ActionAsk_{slot_name}", (AskFormSlot,),
                {"slot": slot_name, "question": _plain_question})
