"""Verification for senders the channel does not vouch for (web chat, REST)."""

import re

from rasa_sdk import FormValidationAction

from actions.base import Turn, ar_app
from actions.handoff import hand_to_person
from bot.conversation.identity import verify_by_knowledge

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


class ValidateIdentityForm(FormValidationAction):
    def name(self) -> str:
        return "validate_identity_form"

    def validate_account_number(self, value, dispatcher, tracker, domain):
        # Account numbers carry digits; "balance???" is not one, so ask again.
        words = re.findall(r"[\w#/.-]+", str(value or ""))
        while words and not any(ch.isdigit() for ch in words[0]):
            words.pop(0)
        if not words:
            return {"account_number": None}
        if len(words) > 1 and any(ch.isdigit() for ch in "".join(words[1:])):
            # "ACME-001 INV-2026-0101": both answers in one message.
            return _verify(Turn(dispatcher, tracker, domain), words[0], " ".join(words[1:]))
        return {"account_number": words[0]}

    def validate_verification_invoice(self, value, dispatcher, tracker, domain):
        return _verify(Turn(dispatcher, tracker, domain), tracker.get_slot("account_number") or "",
                       str(value or ""))
