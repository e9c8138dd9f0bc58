"""Invoice copies and statements sent to the person asking, and "did you send it?"."""

from actions.base import CallerAction, InvoiceAction, ar_app
from actions.handoff import hand_to_person
from bot.documents.delivery import DocumentDesk, Outcome, Route
from bot.documents.log import last_delivery
from bot.documents.period import statement_period
from bot.documents.wording import asks_for_email
from bot.ledger.figures import open_amount
from integrations.smtp_mailer import SmtpMailer


def route_of(turn) -> Route:
    """Where the request came from, as Rasa recorded the message (never a slot)."""
    tracker = turn.tracker
    user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    slack = (user.get("metadata") or {}).get("slack") or {}
    return Route(tracker.get_latest_input_channel() or "", tracker.sender_id,
                 slack.get("channel"), slack.get("thread_ts"))


def desk() -> DocumentDesk:
    app = ar_app()
    mailer = SmtpMailer(app.settings.documents)
    return DocumentDesk(app.settings, app.now(), app.today(),
                        mailer.send if mailer.configured else None)


def say_outcome(session, turn, outcome: Outcome, document: str) -> None:
    if outcome.kind == "no_email":
        turn.say("utter_no_delivery_address")
        return
    turn.say(f"utter_document_{outcome.kind}", document=document, link=outcome.link or "",
             expires=turn.day(outcome.expires_at.date()) if outcome.expires_at else "",
             destination=outcome.destination or "", reference=outcome.reference)
    if outcome.kind == "awaiting_approval":
        # A typed address is AR's decision: a collector takes it up with the customer.
        hand_to_person(turn, "documents_new_address", outcome.reference, session)


def _text(turn) -> str:
    """What the customer wrote when they asked: after verification the latest message is
    an invoice number, but "email it" or "for October" was said in the request."""
    asked = ("request_invoice_copy", "request_statement")
    for event in reversed(turn.tracker.events):
        if event.get("event") == "user" and \
                ((event.get("parse_data") or {}).get("intent") or {}).get("name") in asked:
            return event.get("text") or ""
    return turn.tracker.latest_message.get("text") or ""


class ActionSendInvoiceCopy(InvoiceAction):
    def name(self) -> str:
        return "action_send_invoice_copy"

    def answer_invoice(self, session, caller, invoice, turn):
        outcome = desk().deliver(session, caller, "invoice_copy", route_of(turn),
                                 turn.language, invoice=invoice,
                                 email=asks_for_email(_text(turn)),
                                 typed_address=turn.entity("email"))
        say_outcome(session, turn, outcome, turn.fragment(
            "utter_document_invoice", invoice_number=invoice.invoice_number,
            open_amount=turn.money(open_amount(invoice), invoice.currency),
            due_date=turn.day(invoice.due_date)))
        return []


class ActionSendStatement(CallerAction):
    def name(self) -> str:
        return "action_send_statement"

    def answer(self, session, caller, turn):
        period = statement_period(_text(turn), ar_app().today())
        outcome = desk().deliver(session, caller, "statement", route_of(turn), turn.language,
                                 period=period, email=asks_for_email(_text(turn)),
                                 typed_address=turn.entity("email"))
        document = (turn.fragment("utter_document_activity", customer_name=caller.customer_name,
                                  start=turn.day(period[0]), end=turn.day(period[1]))
                    if period else
                    turn.fragment("utter_document_statement", customer_name=caller.customer_name))
        say_outcome(session, turn, outcome, document)
        return []


class ActionTellDocumentStatus(CallerAction):
    """Answered from the delivery log: what was sent, to whom, and what became of it."""

    def name(self) -> str:
        return "action_tell_document_status"

    def answer(self, session, caller, turn):
        entry = last_delivery(session, caller)
        if entry is None:
            turn.say("utter_document_log_none")
            return []
        document = (turn.fragment("utter_document_invoice_short",
                                  invoice_number=entry.invoice_number)
                    if entry.invoice_number else
                    turn.fragment("utter_document_statement", customer_name=caller.customer_name))
        destination = (entry.destination if entry.channel == "email"
                       else turn.fragment("utter_document_here"))
        turn.say(f"utter_document_log_{entry.status}", document=document,
                 destination=destination, reference=entry.reference,
                 when=f"{turn.day(entry.at.date())} {entry.at:%H:%M} UTC")
        return []
