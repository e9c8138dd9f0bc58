"""Invoice copies and statements: requests queued for delivery to a contact on file."""

from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session

from bot.conversation.identity import Caller
from bot.ledger.audit import record
from bot.ledger.models import Contact, Customer, DocumentRequest, Invoice
from bot.ledger.references import new_reference


class NoDeliveryAddress(LookupError):
    """The account has no active contact with an address we can send documents to."""


def _delivery_contact(session: Session, caller: Caller) -> Contact:
    # Documents only ever go to addresses already on file, never to one typed in chat.
    own = session.get(Contact, caller.contact_id) if caller.contact_id else None
    candidates = [own] if own else []
    candidates += [c for c in session.get(Customer, caller.customer_id).contacts
                   if c.status == "active" and c is not own]
    for contact in candidates:
        if contact.email:
            return contact
    raise NoDeliveryAddress(caller.account_number)


def request_document(session: Session, caller: Caller, kind: str,
                     invoice: Optional[Invoice] = None) -> DocumentRequest:
    contact = _delivery_contact(session, caller)
    document = DocumentRequest(reference=new_reference("DOC"), customer_id=caller.customer_id,
                               contact_id=contact.id, kind=kind,
                               invoice_id=invoice.id if invoice else None,
                               channel="email", destination=contact.email)
    session.add(document)
    session.flush()
    record(session, actor=caller.actor, action=f"{kind}_requested", entity="document_request",
           entity_id=document.id,
           details={"reference": document.reference, "destination": contact.email,
                    "invoice": invoice.invoice_number if invoice else None})
    return document
