"""Delivering invoice copies and statements to the person asking, on their channel, only to
addresses on file; every sending logged (document_requests + the outbox), so "did you send
it?" is answered from what happened."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Callable, Optional

from sqlalchemy.orm import Session

from bot.conversation.formatting import masked_email
from bot.conversation.identity import Caller
from bot.documents.files import invoice_file, request_file, statement_file
from bot.documents.links import DocumentLink, link_secret, sign
from bot.documents.mail import compose
from bot.documents.render import document_filename
from bot.ledger.audit import record
from bot.ledger.models import Contact, Customer, DocumentRequest, Invoice
from bot.ledger.references import new_reference
from bot.messaging import channel_store
from bot.settings import Settings

WHATSAPP = "whatsapp:"
# While the action server sends an email itself, the outbox's retry rounds leave it alone.
FIRST_SEND_HOLD_SECONDS = 120

# (EmailMessage) -> the provider's id; raises when the mail server did not take it.
Mailer = Callable[[object], Optional[str]]


@dataclass(frozen=True)
class Route:
    """Where a request came from: the Rasa input channel, the sender id, a Slack thread."""

    channel: str
    sender: str
    slack_channel: Optional[str] = None
    slack_thread: Optional[str] = None


@dataclass(frozen=True)
class Outcome:
    """What happened, for the reply to say exactly that. kind: link (a signed link in the
    reply), attached (a file in this conversation: Slack thread, WhatsApp), emailed (the mail
    server took it), email_queued (it did not: the outbox retries), awaiting_approval (an
    address not on file), no_email (nothing on file to email to), unavailable (the document
    cannot be made now), link_no_email / attached_no_email (email was asked for but no mail
    server is configured: it came into the conversation instead)."""

    kind: str
    reference: str
    link: Optional[str] = None
    expires_at: Optional[datetime] = None
    destination: Optional[str] = None  # masked


def _emails_on_file(session: Session, caller: Caller) -> list[str]:
    own = session.get(Contact, caller.contact_id) if caller.contact_id else None
    contacts = ([own] if own else []) + [
        c for c in session.get(Customer, caller.customer_id).contacts
        if c.status == "active" and c is not own]
    return [c.email for c in contacts if c and c.email]


def prefers_email(session: Session, caller: Caller) -> bool:
    contact = session.get(Contact, caller.contact_id) if caller.contact_id else None
    return bool(contact and contact.preferred_channel == "email" and contact.email)


class DocumentDesk:
    """The service the document actions call."""

    def __init__(self, settings: Settings, now: datetime, today: date,
                 mailer: Optional[Mailer] = None):
        self.settings, self.now, self.today, self.mailer = settings, now, today, mailer

    def deliver(self, session: Session, caller: Caller, kind: str, route: Route,
                language: str, invoice: Optional[Invoice] = None,
                period: Optional[tuple[date, date]] = None, email: bool = False,
                typed_address: Optional[str] = None) -> Outcome:
        if not self._can_produce(session, caller, kind, language, invoice, period):
            return Outcome("unavailable", "")
        if typed_address:
            on_file = {e.lower(): e for e in _emails_on_file(session, caller)}
            if typed_address.strip().lower() not in on_file:
                return self._await_approval(session, caller, kind, route, language, invoice,
                                            period, typed_address.strip())
            return self._email(session, caller, kind, route, language, invoice, period,
                               on_file[typed_address.strip().lower()], asked=True)
        if email or prefers_email(session, caller):
            addresses = _emails_on_file(session, caller)
            if not addresses:
                return Outcome("no_email", "")
            return self._email(session, caller, kind, route, language, invoice, period,
                               addresses[0], asked=email)
        return self._in_conversation(session, caller, kind, route, language, invoice, period)

    # --- the ways a document goes --------------------------------------------------------

    def _request(self, session, caller, kind, route, language, invoice, period, channel,
                 destination, status) -> DocumentRequest:
        request = DocumentRequest(
            reference=new_reference("DOC"), customer_id=caller.customer_id,
            contact_id=caller.contact_id, kind=kind,
            invoice_id=invoice.id if invoice else None, channel=channel,
            destination=destination, status=status, language=language,
            period_start=period[0] if period else None,
            period_end=period[1] if period else None,
            conversation_id=route.sender, created_at=self.now)
        session.add(request)
        session.flush()
        record(session, actor=caller.actor, action=f"{kind}_{status}", entity="document_request",
               entity_id=request.id,
               details={"reference": request.reference, "channel": channel,
                        "destination": destination if channel != "email"
                        else masked_email(destination),
                        "invoice": invoice.invoice_number if invoice else None})
        return request

    def _link(self, request: DocumentRequest) -> DocumentLink:
        link = sign(link_secret(self.settings), request.id,
                    self.now + timedelta(hours=self.settings.documents.link_hours))
        request.link_expires_at = link.expires_at
        return link

    def _in_conversation(self, session, caller, kind, route, language, invoice, period
                         ) -> Outcome:
        whatsapp = route.channel == "twilio" and route.sender.startswith(WHATSAPP)
        slack = route.channel == "slack" and route.slack_channel and route.slack_thread
        channel = ("whatsapp" if whatsapp else "sms" if route.channel == "twilio"
                   else "slack" if slack else route.channel)
        request = self._request(session, caller, kind, route, language, invoice, period,
                                channel, route.sender, "link_sent")
        link = self._link(request)
        url = link.url(self.settings.public_base_url)
        name = request_file_name(invoice, caller.account_number)
        if slack:
            channel_store.queue_document(
                session, "slack", f"{route.slack_channel}/{route.slack_thread}", name,
                self.now, request.id, thread=route.slack_thread)
            request.status = "queued"
            return Outcome("attached", request.reference, url, link.expires_at)
        if whatsapp or (channel == "sms" and self.settings.documents.twilio_mms):
            # The PDF as a media message; the reply still carries the link, since PDF over
            # MMS does not reach every phone.
            channel_store.queue_document(session, channel, route.sender, name, self.now,
                                         request.id, media_url=url)
            request.status = "queued"
            return Outcome("attached", request.reference, url, link.expires_at)
        return Outcome("link", request.reference, url, link.expires_at)

    def _await_approval(self, session, caller, kind, route, language, invoice, period,
                        address) -> Outcome:
        # Never sent on the customer's word alone: AR approves the new address first.
        request = self._request(session, caller, kind, route, language, invoice, period,
                                "email", address[:254], "awaiting_approval")
        return Outcome("awaiting_approval", request.reference,
                       destination=masked_email(address))

    def _can_produce(self, session, caller, kind, language, invoice, period) -> bool:
        """Whether the document can be made now (an e-invoice whose XML fails the schema,
        say, cannot): the reply must not promise one that will never come."""
        try:
            if kind == "invoice_copy":
                invoice_file(invoice, language, self.settings, self.today)
            else:
                statement_file(session.get(Customer, caller.customer_id), language,
                               self.settings, self.today, period)
        except Exception as error:  # the customer is told; AR finds it in the audit log
            record(session, actor=caller.actor, action=f"{kind}_unavailable",
                   entity="invoice" if invoice else "customer",
                   entity_id=invoice.id if invoice else caller.customer_id,
                   details={"error": f"{type(error).__name__}: {error}"[:500]})
            return False
        return True

    def _email(self, session, caller, kind, route, language, invoice, period, address,
               asked: bool) -> Outcome:
        if not self.settings.documents.smtp_host:
            # No mail server here: the document comes into the conversation instead, and
            # a customer who asked for email is told so.
            outcome = self._in_conversation(session, caller, kind, route, language, invoice,
                                            period)
            return replace(outcome, kind=f"{outcome.kind}_no_email") if asked else outcome
        request = self._request(session, caller, kind, route, language, invoice, period,
                                "email", address, "queued")
        hold = self.now + timedelta(seconds=FIRST_SEND_HOLD_SECONDS)
        outgoing = channel_store.queue_document(session, "email", address,
                                                request_file_name(invoice, caller.account_number), self.now,
                                                request.id, not_before=hold)
        session.commit()  # the outbox has it before anything is tried: nothing is lost
        if self.mailer is not None and send_email(session, self.settings, outgoing,
                                                  self.mailer, self.now, self.today):
            return Outcome("emailed", request.reference, destination=masked_email(address))
        return Outcome("email_queued", request.reference, destination=masked_email(address))


def request_file_name(invoice: Optional[Invoice], account_number: str) -> str:
    if invoice is not None:
        return document_filename("invoice_copy", invoice.invoice_number)
    return document_filename("statement", account_number)


def email_for(session: Session, settings: Settings, outgoing, today: date):
    """The email an outbox row stands for, built from the ledger as it is now."""
    request = session.get(DocumentRequest, outgoing.document_request_id)
    document = request_file(session, request.id, settings, today)
    key = (session.get(Invoice, request.invoice_id).invoice_number if request.invoice_id
           else session.get(Customer, request.customer_id).account_number)
    return compose(settings, outgoing.recipient, request.language or "en", request.kind, key,
                   document)


def send_email(session: Session, settings: Settings, outgoing, mailer: Mailer, now: datetime,
               today: date) -> bool:
    """Try one email of the outbox now; whether the mail server took it (else it stays
    in the outbox for the retries)."""
    try:
        provider_id = mailer(email_for(session, settings, outgoing, today))
    except Exception as error:  # any failure: the outbox keeps it
        channel_store.mark_failed(session, outgoing.id, f"{type(error).__name__}: {error}",
                                  now, settings.outbox_first_retry_seconds)
        session.commit()
        return False
    channel_store.mark_sent(session, outgoing.id, provider_id, now)
    mark_request_sent(session, outgoing.document_request_id, now)
    session.commit()
    return True


def mark_request_sent(session: Session, request_id: Optional[int], now: datetime) -> None:
    request = session.get(DocumentRequest, request_id) if request_id else None
    if request is not None and request.status != "sent":
        request.status, request.sent_at = "sent", now
