"""Invoice copies and statements, queued for delivery to a contact on file."""

from actions.base import CallerAction, InvoiceAction
from actions.handoff import hand_to_person
from bot.conversation.formatting import masked_email
from bot.handoff.triggers import email_not_on_file
from bot.requests.documents import NoDeliveryAddress, request_document


class ActionSendInvoiceCopy(InvoiceAction):
    def name(self) -> str:
        return "action_send_invoice_copy"

    def answer_invoice(self, session, caller, invoice, turn):
        if email_not_on_file(session, caller, turn.entity("email")):
            hand_to_person(turn, "documents_new_address", invoice.invoice_number, session)
            return []
        try:
            document = request_document(session, caller, "invoice_copy", invoice)
        except NoDeliveryAddress:
            turn.say("utter_no_delivery_address")
            return []
        turn.say("utter_invoice_copy_queued", invoice_number=invoice.invoice_number,
                 destination=masked_email(document.destination), reference=document.reference)
        return []


class ActionSendStatement(CallerAction):
    def name(self) -> str:
        return "action_send_statement"

    def answer(self, session, caller, turn):
        if email_not_on_file(session, caller, turn.entity("email")):
            hand_to_person(turn, "documents_new_address", "statement", session)
            return []
        try:
            document = request_document(session, caller, "statement")
        except NoDeliveryAddress:
            turn.say("utter_no_delivery_address")
            return []
        turn.say("utter_statement_queued", customer_name=caller.customer_name,
                 destination=masked_email(document.destination), reference=document.reference)
        return []
