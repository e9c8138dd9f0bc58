"""Disputes: an invoice the customer contests goes on collections hold with a reference."""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from sqlalchemy.orm import Session

from bot.audit import record
from bot.identity import Caller
from bot.ledger import open_disputes
from bot.models import Dispute, Invoice
from bot.references import new_reference

DISPUTE_REASONS = ("pricing", "quantity", "damaged", "not_received", "duplicate", "other")


class DisputeInputError(ValueError):
    def __init__(self, code: str, **details):
        self.code, self.details = code, details
        super().__init__(code)


def open_dispute(session: Session, caller: Caller, invoice: Invoice, reason: str,
                 amount: Optional[Decimal], description: str) -> tuple[Dispute, bool]:
    """Record a dispute (amount None: the whole invoice). Returns (dispute, created);
    an invoice already under dispute keeps its one open dispute."""
    if invoice.customer_id != caller.customer_id:
        raise DisputeInputError("invoice_not_found")
    existing = open_disputes(invoice)
    if existing:
        return existing[0], False
    if reason not in DISPUTE_REASONS:
        raise DisputeInputError("unknown_reason")
    disputed = invoice.amount if amount is None else amount
    if disputed <= 0:
        raise DisputeInputError("amount_not_positive")
    if disputed > invoice.amount:
        raise DisputeInputError("amount_above_invoice", invoice_amount=invoice.amount)
    dispute = Dispute(reference=new_reference("DSP"), customer_id=caller.customer_id,
                      invoice=invoice, contact_id=caller.contact_id, reason=reason,
                      amount=disputed, description=(description or "").strip()[:2000])
    session.add(dispute)
    session.flush()
    record(session, actor=caller.actor, action="dispute_opened", entity="dispute",
           entity_id=dispute.id, details={"reference": dispute.reference,
                                          "invoice": invoice.invoice_number, "reason": reason,
                                          "amount": str(disputed), "collections_hold": True})
    return dispute, True
