"""Disputes: an invoice the customer contests goes on collections hold with a reference."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Optional

from sqlalchemy.orm import Session

from bot.conversation.identity import Caller
from bot.ledger.audit import record
from bot.ledger.figures import open_disputes
from bot.ledger.models import Dispute, Invoice
from bot.ledger.references import new_reference

DISPUTE_REASONS = ("pricing", "quantity", "damaged", "not_received", "duplicate", "other")


_REASON_WORDS = {
    "pricing": r"pric|price|rate|overcharg|cost|precio|prix|tarif|preis|preço|preco|valor",
    "quantity": r"quantit|qty|count|short|too many|cantidad|menge|anzahl|quantidade",
    "damaged": r"damag|broken|defect|faulty|dañad|roto|endommag|cass|besch[äa]digt|kaputt|"
               r"danificad|quebrad",
    "not_received": r"not (been )?received|never (arrived|came|received|got)|didn.?t (get|receive)|"
                    r"missing|no (lo )?recibi|pas re[çc]u|nicht (erhalten|angekommen)|"
                    r"n[ãa]o recebi|nunca lleg",
    "duplicate": r"duplicat|twice|double|two times|dos veces|doublon|deux fois|doppelt|"
                 r"zweimal|duas vezes|duplicad",
    "other": r"other|something else|otro|autre|andere|outro",
}


def reason_from_text(text: str) -> Optional[str]:
    """The dispute reason a customer picked, by number (1-6) or in their own words."""
    text = (text or "").strip().lower()
    if text.isdigit() and 1 <= int(text) <= len(DISPUTE_REASONS):
        return DISPUTE_REASONS[int(text) - 1]
    if text in DISPUTE_REASONS:
        return text
    for reason, pattern in _REASON_WORDS.items():
        if re.search(pattern, text):
            return reason
    return None


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
