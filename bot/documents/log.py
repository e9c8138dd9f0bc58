"""The delivery log: what became of the latest document of an account, from its request and
the outbox rows that carried it, so "did you send it?" is answered from what happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation.formatting import masked_email
from bot.conversation.identity import Caller
from bot.ledger.models import DocumentRequest, Invoice
from bot.messaging import channel_store


@dataclass(frozen=True)
class LogEntry:
    reference: str
    kind: str
    invoice_number: Optional[str]
    channel: str
    destination: str  # masked for email
    status: str  # sent | link_sent | opened | queued | retrying | failed | awaiting_approval
    at: datetime


def last_delivery(session: Session, caller: Caller) -> Optional[LogEntry]:
    """The latest document sent (or being sent) for this account, as the log knows it."""
    request = session.scalars(select(DocumentRequest)
                              .where(DocumentRequest.customer_id == caller.customer_id)
                              .order_by(DocumentRequest.id.desc())).first()
    if request is None:
        return None
    sends = channel_store.document_sends(session, request.id)
    status, at = request.status, request.sent_at or request.created_at
    if sends:
        last = sends[-1]
        if last.status == "sent":
            status, at = "sent", last.sent_at
        elif last.status == "failed":
            status = "failed"
        elif last.attempts:
            status = "retrying"
        else:
            status = "queued"
    elif request.opened_at:
        status, at = "opened", request.opened_at
    invoice = session.get(Invoice, request.invoice_id) if request.invoice_id else None
    destination = (masked_email(request.destination) if request.channel == "email"
                   else request.channel)
    return LogEntry(request.reference, request.kind,
                    invoice.invoice_number if invoice else None, request.channel,
                    destination, status, at)
