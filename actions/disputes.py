"""Disputes: invoice, reason, amount and what happened read from any message, a summary
the customer confirms, then a reference and a collections hold."""

from decimal import Decimal

from actions.base import CallerAction, ar_app
from actions.forms import CONFIRMED, ListeningForm, StartFormAction, clear
from actions.handoff import hand_to_person
from bot.conversation.identity import find_invoice
from bot.handoff.triggers import dispute_needs_person
from bot.requests.disputes import DisputeInputError, open_dispute
from bot.requests.form_answers import FORM_SLOTS, WHOLE_INVOICE

DISPUTE_SLOTS = FORM_SLOTS["dispute_form"] + (CONFIRMED,)


class ActionStartDispute(StartFormAction):
    def name(self) -> str:
        return "action_start_dispute"

    form_name = "dispute_form"


class ValidateDisputeForm(ListeningForm):
    def name(self) -> str:
        return "validate_dispute_form"

    def extract_dispute_invoice(self, turn):
        return self.extract("dispute_invoice", turn)

    def extract_dispute_reason(self, turn):
        return self.extract("dispute_reason", turn)

    def extract_disputed_amount(self, turn):
        return self.extract("disputed_amount", turn)

    def extract_dispute_description(self, turn):
        return self.extract("dispute_description", turn)


def _disputed(turn, invoice):
    amount = turn.slot("disputed_amount") or WHOLE_INVOICE
    return None if amount == WHOLE_INVOICE else Decimal(amount)


def confirm_dispute(session, caller, turn) -> None:
    invoice = find_invoice(session, caller, turn.slot("dispute_invoice") or "")
    amount = _disputed(turn, invoice)
    turn.say("utter_confirm_dispute", invoice_number=invoice.invoice_number,
             amount=turn.money(invoice.amount if amount is None else amount, invoice.currency),
             reason=turn.fragment(f"utter_dispute_reason_{turn.slot('dispute_reason')}"))


class ActionSubmitDispute(CallerAction):
    def name(self) -> str:
        return "action_submit_dispute"

    def answer(self, session, caller, turn):
        if turn.slot(CONFIRMED) != "yes":
            return clear(*DISPUTE_SLOTS)  # cancelled: nothing is recorded
        invoice = find_invoice(session, caller, turn.slot("dispute_invoice") or "")
        if invoice is None:
            turn.say("utter_invoice_not_found", invoice_number=turn.slot("dispute_invoice"))
            return clear(*DISPUTE_SLOTS)
        reason = turn.slot("dispute_reason") or "other"
        try:
            dispute, created = open_dispute(session, caller, invoice, reason,
                                            _disputed(turn, invoice),
                                            turn.slot("dispute_description") or "")
        except DisputeInputError:
            turn.say("utter_disputed_amount_invalid",
                     invoice_amount=turn.money(invoice.amount, invoice.currency))
            return clear(*DISPUTE_SLOTS)
        if not created:
            turn.say("utter_dispute_exists", invoice_number=invoice.invoice_number,
                     reference=dispute.reference)
        else:
            turn.say("utter_dispute_opened", reference=dispute.reference,
                     invoice_number=invoice.invoice_number,
                     amount=turn.money(dispute.amount, invoice.currency),
                     reason=turn.fragment(f"utter_dispute_reason_{reason}"))
            if dispute_needs_person(dispute.amount, ar_app().settings):
                hand_to_person(turn, "dispute_over_threshold", dispute.reference, session)
        return clear(*DISPUTE_SLOTS)
