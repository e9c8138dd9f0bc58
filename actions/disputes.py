"""Disputes: which invoice, why, how much, what happened; then a reference and a hold."""

from actions.base import CallerAction, ar_app
from actions.forms import CallerFormValidation, StartFormAction, clear
from actions.handoff import hand_to_person
from bot.conversation.identity import find_invoice
from bot.conversation.parsing import means_whole_balance, parse_amount
from bot.handoff.triggers import dispute_needs_person
from bot.requests.disputes import DisputeInputError, open_dispute, reason_from_text

DISPUTE_SLOTS = ("dispute_invoice", "dispute_reason", "disputed_amount", "dispute_description")
ALL = "all"


class ActionStartDispute(StartFormAction):
    def name(self) -> str:
        return "action_start_dispute"

    form_name = "dispute_form"


class ValidateDisputeForm(CallerFormValidation):
    def name(self) -> str:
        return "validate_dispute_form"

    def validate_dispute_invoice(self, value, dispatcher, tracker, domain):
        def invoice(session, caller, turn, text):
            found = find_invoice(session, caller, text)
            if found is None:
                turn.say("utter_invoice_not_found", invoice_number=text[:40])
                return None
            return found.invoice_number

        return self.check(tracker, dispatcher, domain, "dispute_invoice", value, invoice)

    def validate_dispute_reason(self, value, dispatcher, tracker, domain):
        def reason(session, caller, turn, text):
            found = reason_from_text(text)
            if found is None:
                turn.say("utter_ask_dispute_reason")
            return found

        return self.check(tracker, dispatcher, domain, "dispute_reason", value, reason)

    def validate_disputed_amount(self, value, dispatcher, tracker, domain):
        def amount(session, caller, turn, text):
            invoice = find_invoice(session, caller, tracker.get_slot("dispute_invoice") or "")
            if invoice is None:
                return None
            if means_whole_balance(text):
                return ALL
            parsed = parse_amount(text, turn.language)
            if parsed is None or parsed <= 0 or parsed > invoice.amount:
                turn.say("utter_disputed_amount_invalid",
                         invoice_amount=turn.money(invoice.amount, invoice.currency))
                return None
            return str(parsed)

        return self.check(tracker, dispatcher, domain, "disputed_amount", value, amount)

    def validate_dispute_description(self, value, dispatcher, tracker, domain):
        return self.check(tracker, dispatcher, domain, "dispute_description", value,
                          lambda session, caller, turn, text: text or None)


class ActionSubmitDispute(CallerAction):
    def name(self) -> str:
        return "action_submit_dispute"

    def answer(self, session, caller, turn):
        invoice = find_invoice(session, caller, turn.slot("dispute_invoice") or "")
        if invoice is None:
            turn.say("utter_invoice_not_found", invoice_number=turn.slot("dispute_invoice"))
            return clear(*DISPUTE_SLOTS)
        amount_text = turn.slot("disputed_amount") or ALL
        reason = reason_from_text(turn.slot("dispute_reason")) or "other"
        try:
            dispute, created = open_dispute(
                session, caller, invoice, reason,
                None if amount_text == ALL else parse_amount(amount_text, turn.language),
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
