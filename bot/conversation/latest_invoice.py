""""The last invoice", "la dernière facture", "letzte Rechnung": the caller's invoice
issued most recently, for a request that names no invoice otherwise."""

from __future__ import annotations

import re
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation.message_values import fold
from bot.ledger.models import Invoice

_LATEST = re.compile(
    r"\b((last|latest|newest|most recent|recent)( one)? (invoice|bill)"
    r"|ultima factura|factura mas reciente"
    r"|derniere facture|facture la plus recente"
    r"|(letzte|neueste|aktuellste) rechnung"
    r"|ultima fatura|fatura mais recente)\b")


def names_latest_invoice(text: str) -> bool:
    return _LATEST.search(fold(text or "")) is not None


def latest_invoice(session: Session, customer_id: int) -> Optional[Invoice]:
    """The customer's invoice with the latest issue date (the higher id on a tie)."""
    return session.scalars(select(Invoice).where(Invoice.customer_id == customer_id)
                           .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
                           .limit(1)).first()
