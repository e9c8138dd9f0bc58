"""Balance: open and overdue totals, aging, oldest overdue invoice."""

from actions.base import CallerAction, ar_app
from bot.ledger.figures import account_summary
from bot.ledger.models import Customer


class ActionTellBalance(CallerAction):
    def name(self) -> str:
        return "action_tell_balance"

    def answer(self, session, caller, turn):
        summary = account_summary(session.get(Customer, caller.customer_id), ar_app().today())

        def fmt(amount):
            return turn.money(amount, summary.currency)

        credits = ""
        if summary.unapplied_credits:
            credits = turn.fragment("utter_balance_credits", unapplied=fmt(summary.unapplied_credits),
                                    net=fmt(summary.net_balance))
        if not summary.open_invoice_count:
            turn.say("utter_balance_nothing_owed", customer_name=caller.customer_name,
                     credits=credits)
            return []
        oldest = ""
        if summary.oldest_overdue is not None:
            oldest = turn.fragment("utter_balance_oldest",
                                   invoice_number=summary.oldest_overdue.invoice_number,
                                   open_amount=fmt(summary.oldest_overdue.open_amount),
                                   due_date=turn.day(summary.oldest_overdue.due_date))
        aging = summary.aging
        turn.say("utter_balance", customer_name=caller.customer_name,
                 open_total=fmt(summary.open_total), overdue_total=fmt(summary.overdue_total),
                 invoice_count=summary.open_invoice_count, credits=credits, oldest=oldest,
                 current=fmt(aging["current"]), d1_30=fmt(aging["1-30"]),
                 d31_60=fmt(aging["31-60"]), d61_90=fmt(aging["61-90"]), d90=fmt(aging["90+"]))
        return []
