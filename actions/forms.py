"""What the forms share: starting one for a verified caller, and reading answers."""

from abc import ABCMeta, abstractmethod
from typing import Any, Optional

from rasa_sdk import FormValidationAction
from rasa_sdk.events import FollowupAction, SlotSet

from actions.base import CallerAction, Turn, ar_app, caller_of
from bot.conversation.identity import Caller
from bot.conversation.parsing import parse_date
from bot.ledger.figures import account_summary
from bot.ledger.models import Customer


class StartFormAction(CallerAction):
    """Verifies the caller, then opens form_name; subclasses may refuse first."""

    form_name = ""

    @abstractmethod
    def name(self) -> str:
        """The start action's name in the domain."""

    def answer(self, session, caller, turn):
        refusal = self.refuse(session, caller, turn)
        if refusal is not None:
            return refusal
        return [FollowupAction(self.form_name)]

    def refuse(self, session, caller: Caller, turn: Turn) -> Optional[list]:
        return None


def answer_text(value: Any) -> str:
    """A slot's value as text: an entity may have come more than once."""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()[:1000]


def clear(*slots: str) -> list:
    return [SlotSet(slot, None) for slot in slots]


class CallerFormValidation(FormValidationAction, metaclass=ABCMeta):
    """Form validation with the ledger at hand: validate_<slot> methods call check()."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>."""

    def check(self, tracker, dispatcher, domain, slot: str, value: Any, checker) -> dict:
        turn = Turn(dispatcher, tracker, domain)
        with ar_app().session() as session:
            caller = caller_of(session, tracker)
            if caller is None:
                return {slot: None}
            result = checker(session, caller, turn, answer_text(value))
        return {slot: result}


def caller_balance(session, caller):
    return account_summary(session.get(Customer, caller.customer_id), ar_app().today()).net_balance


def refuse_when_nothing_owed(session, caller, turn):
    if caller_balance(session, caller) <= 0:
        turn.say("utter_nothing_owed")
        return []
    return None


def check_future_date(turn, text):
    """A date from today on, as ISO text, or None after telling the customer why not."""
    today = ar_app().today()
    when = parse_date(text, today, turn.language)
    if when is None:
        turn.say("utter_date_invalid")
        return None
    if when < today:
        turn.say("utter_date_in_past", date=turn.day(when))
        return None
    return when.isoformat()
