"""Payment status (was it received and applied?) and how to pay."""

from actions.base import CallerAction, ar_app
from bot.conversation.identity import find_invoice
from bot.conversation.parsing import parse_amount, parse_date
from bot.ledger.figures import unapplied_payment_amount
from bot.requests.payments import find_payments, payment_options


class ActionTellPaymentStatus(CallerAction):
    def name(self) -> str:
        return "action_tell_payment_status"

    def answer(self, session, caller, turn):
        amount_text, date_text = turn.entity("amount"), turn.entity("date")
        payments = find_payments(
            session, caller, reference=turn.entity("payment_reference"),
            amount=parse_amount(amount_text, turn.language) if amount_text else None,
            sent_on=parse_date(date_text, ar_app().today(), turn.language, past=True)
            if date_text else None,
        )
        if not payments:
            latest = find_payments(session, caller)
            if not latest:
                turn.say("utter_payment_none_on_file")
            else:
                turn.say("utter_payment_not_found", latest=self._describe(turn, latest[0]))
            return []
        payment = payments[0]
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
                 method=turn.fragment(f"utter_payment_method_{payment.method}"), date=turn.day(payment.received_date),
                 reference=payment.payment_reference, applications=applications)
        return []

    @staticmethod
    def _describe(turn, payment) -> str:
        return turn.fragment("utter_payment_described",
                             amount=turn.money(payment.amount, payment.customer.currency),
                             reference=payment.payment_reference,
                             date=turn.day(payment.received_date))


class ActionGivePaymentOptions(CallerAction):
    def name(self) -> str:
        return "action_give_payment_options"

    def answer(self, session, caller, turn):
        text = turn.entity("invoice_number")
        invoice = find_invoice(session, caller, text) if text else None
        options = payment_options(caller, invoice, ar_app().settings)
        if options.bank_instructions:
            turn.say("utter_payment_options", pay_link=options.pay_link,
                     bank_instructions=options.bank_instructions)
        else:
            turn.say("utter_payment_options_no_bank", pay_link=options.pay_link,
                     currency=options.currency)
        return []
