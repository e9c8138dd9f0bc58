"""Invoice status, and the question "which invoice?" when the customer did not say."""

from rasa_sdk import FormValidationAction

from actions.base import (InvoiceAction, Turn, WithProjectDomain, ar_app, caller_of,
                          on_a_thread)
from actions.forms import moved_on
from bot.conversation.identity import find_invoice
from bot.ledger.figures import invoice_status, last_payment, open_amount, open_disputes


class ActionTellInvoiceStatus(InvoiceAction):
    payment_action = "action_tell_payment_status"  # "is WIRE-5520 through?"

    def name(self) -> str:
        return "action_tell_invoice_status"

    def answer_invoice(self, session, caller, invoice, turn):
        today = ar_app().today()
        status = invoice_status(invoice, today)
        payment = last_payment(invoice)
        last = ""
        if payment is not None:
            applied = sum(a.applied_amount for a in invoice.applications if a.payment is payment)
            last = turn.fragment("utter_invoice_last_payment",
                                 payment_amount=turn.money(applied, invoice.currency),
                                 payment_reference=payment.payment_reference,
                                 payment_date=turn.day(payment.received_date))
        values = dict(invoice_number=invoice.invoice_number, last_payment=last,
                      amount=turn.money(invoice.amount, invoice.currency),
                      open_amount=turn.money(open_amount(invoice), invoice.currency),
                      due_date=turn.day(invoice.due_date))
        if status == "paid":
            turn.say("utter_invoice_status_paid", **values)
        elif status == "disputed":
            turn.say("utter_invoice_status_disputed",
                     dispute_reference=open_disputes(invoice)[0].reference, **values)
        else:
            word = turn.fragment(f"utter_invoice_status_word_{status}",
                                 days=(today - invoice.due_date).days)
            turn.say("utter_invoice_status_open", status=word, **values)
        return []


class ValidateInvoiceForm(WithProjectDomain, FormValidationAction):
    def name(self) -> str:
        return "validate_invoice_form"

    @on_a_thread
    def validate_invoice_number(self, value, dispatcher, tracker, domain):
        other_request = moved_on(tracker)
        if other_request is not None:
            return {"invoice_number": None, **other_request}
        turn = Turn(dispatcher, tracker, domain)
        with ar_app().session() as session:
            caller = caller_of(session, tracker)
            invoice = find_invoice(session, caller, value) if caller else None
        if invoice is None:
            turn.say("utter_invoice_not_found", invoice_number=str(value)[:40])
            return {"invoice_number": None}
        return {"invoice_number": invoice.invoice_number}
