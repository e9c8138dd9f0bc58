"""Verification for senders the channel does not vouch for (web chat, REST)."""

from rasa_sdk import FormValidationAction

from actions.base import Turn, WithProjectDomain, ar_app, on_a_thread
from actions.handoff import hand_to_person
from bot.conversation.identity import verify_by_knowledge
from bot.conversation.message_values import means_cancel
from bot.requests.form_answers import split_verification_answer

LOCKED = "locked"


def _verify(turn: Turn, account_text: str, invoice_text: str) -> dict:
    app = ar_app()
    with app.session() as session:
        result = verify_by_knowledge(session, turn.tracker.sender_id, account_text,
                                     invoice_text, app.settings, app.now())
    if result.status == "verified":
        turn.say("utter_verified", customer_name=result.caller.customer_name,
                 account_number=result.caller.account_number)
        return {"account_number": result.caller.account_number, "verification_invoice": "ok"}
    if result.status == "locked":
        turn.say("utter_verification_locked")
        hand_to_person(turn, "verification_locked")
        return {"account_number": LOCKED, "verification_invoice": LOCKED}
    turn.say("utter_verification_failed", attempts_left=result.attempts_left)
    return {"account_number": None, "verification_invoice": None}


def _left(turn: Turn, text: str):
    """"cancel"/"no" instead of an account number: leave verification (and the request)."""
    intent = (turn.tracker.latest_message.get("intent") or {}).get("name")
    if any(ch.isdigit() for ch in text) or not (means_cancel(text) or intent == "deny"):
        return None
    turn.say("utter_request_cancelled")
    return {"account_number": None, "verification_invoice": None, "requested_slot": None,
            "pending_request": None}


class ValidateIdentityForm(WithProjectDomain, FormValidationAction):
    def name(self) -> str:
        return "validate_identity_form"

    @on_a_thread
    def validate_account_number(self, value, dispatcher, tracker, domain):
        # The whole answer is read: account and invoice may come together, in any order;
        # "balance???" carries neither, so it is asked again.
        left = _left(Turn(dispatcher, tracker, domain), str(value or ""))
        if left is not None:
            return left
        with ar_app().session() as session:
            account, rest = split_verification_answer(session, str(value or ""))
        if account is None:
            return {"account_number": None}
        if rest:
            return _verify(Turn(dispatcher, tracker, domain), account, rest)
        return {"account_number": account}

    @on_a_thread
    def validate_verification_invoice(self, value, dispatcher, tracker, domain):
        left = _left(Turn(dispatcher, tracker, domain), str(value or ""))
        if left is not None:
            return left
        return _verify(Turn(dispatcher, tracker, domain), tracker.get_slot("account_number") or "",
                       str(value or ""))
