"""What every action shares: the application, who is talking, and replying in templates."""

from __future__ import annotations

import asyncio
import functools
from abc import ABCMeta, abstractmethod
from functools import lru_cache
from typing import Any, Optional

import yaml

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.conversation import formatting
from bot.conversation.identity import Caller, find_invoice, identify
from bot.conversation.latest_invoice import latest_invoice, names_latest_invoice
from bot.conversation.parsing import invoice_tokens
from bot.conversation.references import Named, name_references
from bot.languages import DEFAULT_LANGUAGE
from bot.requests.more_questions import answer_order
from bot.ledger.models import Invoice
from bot.observability import logs
from bot.runtime.app import ARApp
from bot.settings import PROJECT_ROOT

_app: Optional[ARApp] = None
# The questions one message may ask together, and the actions that answer them.
ANSWERS = {"ask_balance": "action_tell_balance", "ask_invoice_status": "action_tell_invoice_status",
           "ask_payment_status": "action_tell_payment_status",
           "request_statement": "action_send_statement",
           "request_invoice_copy": "action_send_invoice_copy"}


def ar_app() -> ARApp:
    """One application per action-server process, made on first use."""
    global _app
    if _app is None:
        _app = ARApp()
    return _app


@lru_cache(maxsize=1)
def project_domain() -> dict[str, Any]:
    """domain.yml, read once. Rasa sends no domain with an action call
    (enable_selective_domain in endpoints.yml): turning its 150 kB of responses into JSON
    and back on every call was a large share of each turn (README, "Speed"). Both servers
    run from one checkout, so this is the domain the model was trained with."""
    with open(PROJECT_ROOT / "domain.yml", encoding="utf-8") as file:
        return yaml.safe_load(file)


class WithProjectDomain:
    """For rasa_sdk's validation actions, which read slots and forms from the domain."""

    async def run(self, dispatcher, tracker, domain):
        return await super().run(dispatcher, tracker, domain or project_domain())


def on_a_thread(validate):
    """A form's validate_<slot> that reads or writes the ledger, run on a thread: rasa_sdk
    calls it on the event loop, where a wait for the database (its write lock, at 50
    conversations up to 150 ms) held up every turn of the worker and the webhooks'
    acknowledgements with it."""

    @functools.wraps(validate)
    async def run(self, *args: Any) -> Any:
        return await asyncio.to_thread(validate, self, *args)

    return run


def set_ar_app(app: Optional[ARApp]) -> None:
    """Tests point the actions at their own ledger."""
    global _app
    _app = app


class Turn:
    """One run of an action: what was said, in which language, and how to reply."""

    def __init__(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        self.dispatcher, self.tracker = dispatcher, tracker
        self.domain = domain or project_domain()
        self.language = tracker.get_slot("language") or DEFAULT_LANGUAGE
        self.reading = None  # a form's reading of this turn's message

    def say(self, response: str, **values: Any) -> None:
        self.dispatcher.utter_message(response=response, **values)

    def say_now(self, response: str, **values: Any) -> None:
        """Reply in `self.language` even when this very turn changed it (a language slot
        an action sets applies to responses only from the next turn on)."""
        self.dispatcher.utter_message(text=self.fragment(response, **values))

    def fragment(self, response: str, **values: Any) -> str:
        """A response's text, filled in, for use inside another response."""
        variations = self.domain.get("responses", {}).get(response, [])
        chosen = next((v for v in variations if _condition_holds(v, self.language)), None) \
            or next((v for v in variations if not v.get("condition")), None)
        return chosen["text"].format(**values) if chosen else ""

    def entity(self, name: str) -> Optional[str]:
        return next(self.tracker.get_latest_entity_values(name), None)

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    def money(self, amount, currency: str) -> str:
        return formatting.money(amount, currency, self.language)

    def day(self, value) -> str:
        return formatting.day(value, self.language)


def _condition_holds(variation: dict, language: str) -> bool:
    conditions = variation.get("condition") or []
    return bool(conditions) and all(
        c.get("name") == "language" and c.get("value") == language for c in conditions
    )


def caller_of(session: Session, tracker: Tracker) -> Optional[Caller]:
    caller = identify(session, tracker.sender_id, tracker.get_latest_input_channel(),
                      ar_app().now())
    if caller:  # their names never reach a log line of this action call
        logs.remember(caller.contact_name, caller.customer_name)
    return caller


def ask_to_verify(turn: Turn, resume: str, keep_message: bool = False) -> list[EventType]:
    """Send an unidentified sender through verification, then carry on with resume.
    keep_message: the request names records in any shape, so keep its text (when it holds
    a number) to read against the ledger once we know whose it is."""
    turn.say("utter_need_verification")
    # The verification answers may name an invoice too; keep what the request named.
    message = turn.tracker.latest_message.get("text") or ""
    named = turn.entity("invoice_number")
    # The NLU's number when it is a whole word of the message; one it cut short ("2026"
    # of "2026/0142") or missed is read from the message itself later.
    if keep_message and invoice_tokens(message) and (
            not named or named not in invoice_tokens(message)):
        named = message[:200]
    # The whole request is kept too: a form opened after verification reads it whole.
    return [SlotSet("pending_request", resume), SlotSet("pending_invoice", named),
            SlotSet("pending_text", message[:1000]),
            FollowupAction("identity_form")]


def named_in_request(session: Session, caller: Caller, turn: Turn) -> tuple[Named, bool]:
    """What the request names among the caller's records, and whether it came from the
    customer's message just now (else from the invoice_number slot: a request resumed
    after verification or after "which invoice?")."""
    if turn.tracker.latest_action_name == "action_listen":
        message = turn.tracker.latest_message
        return name_references(session, caller.customer_id, message.get("text") or "",
                               message.get("entities") or [], caller.account_number), True
    return name_references(session, caller.customer_id, turn.slot("invoice_number") or "",
                           account_number=caller.account_number), False


class SyncAction(Action, metaclass=ABCMeta):
    """An action whose work is plain blocking Python (the database), run off the event loop."""

    # An answer given in the middle of a form goes back to the form after it.
    resumes_form = False

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        events = await asyncio.to_thread(self.run_sync, Turn(dispatcher, tracker, domain))
        if not any(event.get("event") == "followup" for event in events):
            # The answer ends the turn, however the action was reached: a rule, or a
            # FollowupAction after verification that no rule or story can foresee.
            # Asked in the middle of a form, the answer hands back to the form.
            loop = (tracker.active_loop or {}).get("name")
            leaves_loop = any(event.get("event") == "active_loop" for event in events)
            resume = self.resumes_form and loop and not leaves_loop
            events.append(FollowupAction(loop if resume else "action_listen"))
        return events

    @abstractmethod
    def run_sync(self, turn: Turn) -> list[EventType]:
        """The action's work, on a worker thread."""


class CallerAction(SyncAction):
    """An action that needs to know whose account this is before it says anything."""

    # It reads the invoices and payments the request names (named_in_request).
    names_records = False
    resumes_form = True

    def run_sync(self, turn: Turn) -> list[EventType]:
        with ar_app().session() as session:
            caller = caller_of(session, turn.tracker)
            if caller is None:
                return ask_to_verify(turn, self.name(), keep_message=self.names_records)
            events = self.answer(session, caller, turn) or []
            if any(event.get("event") == "followup" for event in events):
                return events
            return events + self.next_question(turn)

    def next_question(self, turn: Turn) -> list[EventType]:
        """Another question the same message asked, answered next (outside forms); after
        the last, "which invoice?" for a request of the message that named none."""
        message = turn.tracker.latest_message or {}
        first = (message.get("intent") or {}).get("name")
        if first not in ANSWERS or (turn.tracker.active_loop or {}).get("name"):
            return []
        order = [ANSWERS[q] for q in answer_order(first, message.get("text") or "")]
        if self.name() not in order:
            return []
        if order.index(self.name()) + 1 >= len(order):
            return [FollowupAction("invoice_form")] if _invoice_asked_for_last(turn) else []
        return [FollowupAction(order[order.index(self.name()) + 1])]

    @abstractmethod
    def answer(self, session: Session, caller: Caller, turn: Turn
               ) -> Optional[list[EventType]]:
        """Reply to a verified caller."""


def _invoice_asked_for_last(turn: Turn) -> bool:
    """Whether an earlier answer to this very message left "which invoice?" for after the
    others (its request waiting in pending_request)."""
    for event in reversed(turn.tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == "pending_request":
            return bool(event.get("value"))
    return False


class InvoiceAction(CallerAction):
    """A caller action about one invoice: asks which one when the customer did not say,
    and says "not found" for a number that is not one of theirs (whoever's it is)."""

    names_records = True
    # Where a question naming one of the caller's payments instead goes, if anywhere.
    payment_action: Optional[str] = None

    def answer(self, session, caller, turn):
        named, from_message = named_in_request(session, caller, turn)
        invoice = named.invoices[0] if named.invoices else None
        if invoice is None and not named.anything and from_message and turn.slot("invoice_number"):
            invoice = find_invoice(session, caller, turn.slot("invoice_number"))
        if invoice is None and not named.anything and from_message \
                and names_latest_invoice(turn.tracker.latest_message.get("text") or ""):
            invoice = latest_invoice(session, caller.customer_id)
        if invoice is not None:
            return [SlotSet("invoice_number", invoice.invoice_number)] + (
                self.answer_invoice(session, caller, invoice, turn) or [])
        if named.payments and self.payment_action:
            # The payment action reads what was named from the slot, as after verification.
            return [SlotSet("invoice_number", named.payments[0].payment_reference),
                    FollowupAction(self.payment_action)]
        mentioned = (named.unknown + [p.payment_reference for p in named.payments])[:1]
        if mentioned:
            # Another customer's invoice gets exactly this answer too.
            turn.say("utter_invoice_not_found", invoice_number=mentioned[0][:40])
            return [SlotSet("invoice_number", None)]
        # The message's other questions first, if any; "which invoice?" after them.
        return [SlotSet("invoice_number", None), SlotSet("pending_request", self.name())] + (
            self.next_question(turn) or [FollowupAction("invoice_form")])

    @abstractmethod
    def answer_invoice(self, session: Session, caller: Caller, invoice: Invoice, turn: Turn
                       ) -> Optional[list[EventType]]:
        """Reply about one of the caller's own invoices."""
