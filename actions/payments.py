"""Payment status (was it received and applied?) and how to pay."""

from rasa_sdk.events import SlotSet

from actions.base import CallerAction, ar_app, named_in_request
from bot.conversation.parsing import parse_amount, parse_date
from bot.ledger.figures import unapplied_payment_amount
from bot.requests.payments import answer_payment_question, payment_options


class ActionTellPaymentStatus(CallerAction):
    """Answers about the payment the customer names and no other: a reference that is
    not theirs (another customer's or nobody's) is not found, with no figure."""

    names_records = True

    def name(self) -> str:
        return "action_tell_payment_status"

    def answer(self, session, caller, turn):
        named, from_message = named_in_request(session, caller, turn)
        amount_text = turn.entity("amount") if from_message else None
        date_text = turn.entity("date") if from_message else None
        answer = answer_payment_question(
            session, caller, named,
            amount=parse_amount(amount_text, turn.language) if amount_text else None,
            sent_on=parse_date(date_text, ar_app().today(), turn.language, past=True)
            if date_text else None)
        if answer.kind == "found":
            for payment in answer.payments:
                self._say_found(turn, caller, payment)
        elif answer.kind == "not_found":
            turn.say("utter_payment_reference_not_found", reference=answer.named[:40])
        elif answer.kind == "none_for_invoice":
            turn.say("utter_payment_none_for_invoice", invoice_number=answer.named)
        elif answer.kind == "latest":
            turn.say("utter_payment_latest", payments="; ".join(
                self._describe(turn, p) for p in answer.payments))
        elif answer.kind == "no_match":
            turn.say("utter_payment_not_found", latest=self._describe(turn, answer.payments[0]))
        else:
            turn.say("utter_payment_none_on_file")
        if named.invoices or named.unknown or not from_message:
            # The invoice this was about, for what the customer asks next; what a resumed
            # request carried in the slot has been answered.
            return [SlotSet("invoice_number",
                            named.invoices[0].invoice_number if named.invoices else None)]
        return []

    @staticmethod
    def _say_found(turn, caller, payment):
        applications = ""
        if payment.applications:
            applied = ", ".join(
                f"{a.invoice.invoice_number} ({turn.money(a.applied_amount, caller.currency)})"
                for a in payment.applications)
            applications += turn.fragment("utter_payment_applied_to", applied=applied)
        unapplied = unapplied_payment_amount(payment)
        if unapplied:
            applications += turn.fragment("utter_payment_unapplied",
                                          unapplied=turn.money(unapplied, caller.currency))
        turn.say("utter_payment_found", amount=turn.money(payment.amount, caller.currency),
                 method=turn.fragment(f"utter_payment_method_{payment.method}"),
                 date=turn.day(payment.received_date), reference=payment.payment_reference,
                 applications=applications)

    @staticmethod
    def _describe(turn, payment) -> str:
        return turn.fragment("utter_payment_described",
                             amount=turn.money(payment.amount, payment.customer.currency),
                             reference=payment.payment_reference,
                             date=turn.day(payment.received_date))


class ActionGivePaymentOptions(CallerAction):
    """The pay link, for the invoice named if it is the caller's; a number that is not
    theirs is not found (no link made out for it)."""

    names_records = True

    def name(self) -> str:
        return "action_give_payment_options"

    def answer(self, session, caller, turn):
        named, _from_message = named_in_request(session, caller, turn)
        invoice = named.invoices[0] if named.invoices else None
        if invoice is None and named.unknown:
            turn.say("utter_invoice_not_found", invoice_number=named.unknown[0][:40])
            return [SlotSet("invoice_number", None)]
        options = payment_options(caller, invoice, ar_app().settings)
        if options.bank_instructions:
            turn.say("utter_payment_options", pay_link=options.pay_link,
                     bank_instructions=options.bank_instructions)
        else:
            turn.say("utter_payment_options_no_bank", pay_link=options.pay_link,
                     currency=options.currency)
        return [SlotSet("invoice_number", invoice.invoice_number if invoice else None)]
