"""What AR and a link's holder may do with a document request: open it (a verified link),
revoke its link, approve the new address it waits for."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation.formatting import masked_email
from bot.documents.delivery import request_file_name
from bot.documents.files import request_file
from bot.ledger.audit import record
from bot.ledger.models import Customer, DocumentRequest, Invoice
from bot.messaging import channel_store
from bot.settings import Settings


class DocumentGone(LookupError):
    """A well-signed link whose document was revoked or no longer exists."""


def open_link(session: Session, settings: Settings, request_id: int, now: datetime,
              today: date):
    """The file behind a verified link, and the request's language; records the opening."""
    request = session.get(DocumentRequest, request_id)
    if request is None or request.revoked_at is not None or request.link_expires_at is None:
        raise DocumentGone(request_id)
    if request.opened_at is None:
        request.opened_at = now
    return request_file(session, request.id, settings, today), request.language or "en"


def revoke(session: Session, reference: str, now: datetime, actor: str) -> bool:
    request = session.scalars(select(DocumentRequest)
                              .where(DocumentRequest.reference == reference)).first()
    if request is None:
        return False
    request.revoked_at = now
    record(session, actor=actor, action="document_link_revoked", entity="document_request",
           entity_id=request.id, details={"reference": reference})
    return True


def approve_address(session: Session, reference: str, now: datetime, actor: str) -> bool:
    """AR approved the address a document waits for: it goes to the email outbox (sent by
    the Rasa server's retry rounds). False when no such request waits."""
    request = session.scalars(select(DocumentRequest).where(
        DocumentRequest.reference == reference,
        DocumentRequest.status == "awaiting_approval")).first()
    if request is None:
        return False
    invoice = session.get(Invoice, request.invoice_id) if request.invoice_id else None
    customer = session.get(Customer, request.customer_id)
    channel_store.queue_document(session, "email", request.destination,
                                 request_file_name(invoice, customer.account_number), now,
                                 request.id)
    request.status = "queued"
    record(session, actor=actor, action="document_address_approved",
           entity="document_request", entity_id=request.id,
           details={"reference": reference, "destination": masked_email(request.destination)})
    return True


def request_language(session: Session, request_id: Optional[int]) -> Optional[str]:
    request = session.get(DocumentRequest, request_id) if request_id else None
    return request.language if request else None
