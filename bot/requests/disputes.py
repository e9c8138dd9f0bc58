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
    "duplicate": r"duplicat|twice|double[ -]?(billed|charged)|billed (us )?two times|dos veces|"
                 r"doublon|deux fois|doppelt|zweimal|duas vezes|duplicad",
    "damaged": r"damag|broken|defect|faulty|torn|ripped|crushed|dented|leak|d[ée]chir|ab[iî]m|"
               r"rasgad|aplastad|zerrissen|zerdr[üu]ckt|amassad|dañad|danad|roto|endommag|cass[ée]|besch[äa]digt|kaputt|"
               r"defekt|danificad|quebrad|avariad",
    # "billed for 40 ... but only 30 showed up", in any of our languages
    "quantity": r"(bill|charg|invoic|factur|fatur|berechn|cobr)\w*\b.{0,60}?\d+.{0,60}?"
                r"\b(but|pero|mais|aber|mas|only|solo|s[oó]lo|seulement|nur|apenas|received|"
                r"recib|re[çc]u|erhalten|geliefert|receb|cheg|lleg|arriv|kam)\w*.{0,40}?\d+|"
                r"(chegaram|vieram|llegaron|arriv[ée]+s?|kamen|geliefert wurden) (s[oó] |apenas |"
                r"solo |seulement |nur )?\d+|\d+ (showed up|arrived|came)|"
                r"quantit|\bqty\b|\bshort\b|short[- ]shipped|too many|wrong (count|number)|"
                r"(billed|charged|invoiced) (us )?for \d+.{0,40}(received|got|delivered)|"
                r"(only )?(received|got|delivered) (only )?\d+|\d+ (instead of|rather than) \d+|"
                r"missing (items|units|pieces|boxes|rolls)|cantidad|recibimos (solo )?\d+|"
                r"llegaron (solo )?\d+|faltan|factur\w+ \d+.{0,40}recib|quantit[eé]|re[çc]u \d+|"
                r"re[çc]u (que|seulement) \d+|manqu|menge|anzahl|nur \d+|\d+ (geliefert|erhalten)|"
                r"fehlen|quantidade|recebemos (apenas |s[oó] )?\d+|faltar|faltam",
    "not_received": r"not (been )?(received|delivered)|never (arrived|came|received|got)|"
                    r"didn.?t (get|receive)|haven.?t (received|got)|no (lo )?(hemos )?recibi|"
                    r"nunca lleg|no lleg|pas re[çc]u|jamais re[çc]u|nicht (erhalten|angekommen|"
                    r"geliefert)|nie (erhalten|angekommen)|n[ãa]o (recebi|recebemos|chegou)|"
                    r"nunca cheg",
    "pricing": r"\bpric|\bprice|wrong rate|overcharg|charged (us )?(too much|more)|"
               r"higher than (agreed|quoted)|\bprecio|cobr\w+ de m[aá]s|\bprix\b|\btarif|"
               r"trop (cher|factur)|\bpreis|zu viel berechnet|zu hoch|pre[çc]o|cobr\w+ a mais|"
               r"valor errado",
    "other": r"\bother\b|something else|\botro\b|\bautre\b|\bandere|\boutro\b",
}


# A price agreed or charged per unit is a pricing dispute, whatever numbers come with it.
_PRICE_AGREED = re.compile(
    r"\b(agreed|quoted|contract(ed)? (price|rate)|vereinbart|abgemacht|acordad|pactad|"
    r"convenu|n[ée]goci[ée]|combinad|cotad|orçad)\w*|\b(per|each|a) (unit|piece|roll|box|"
    r"tray|case|drum)\b|\bpro (st[üu]ck|tray|einheit|rolle)\b|\bpor (unidad|pieza|caja|"
    r"unidade|rolo)\b|\b(par|l') ?(unit[ée]|pi[eè]ce|rouleau)\b|\bcada (uno|una|um)\b|"
    r"zu viel\b|de m[aá]s\b|a mais\b|en trop\b|too much\b", re.IGNORECASE)


def reason_from_text(text: str) -> Optional[str]:
    """The dispute reason a customer picked, by number (1-6) or in their own words."""
    text = (text or "").strip().lower()
    if text.isdigit() and 1 <= int(text) <= len(DISPUTE_REASONS):
        return DISPUTE_REASONS[int(text) - 1]
    if text in DISPUTE_REASONS:
        return text
    if _PRICE_AGREED.search(text) and not re.search(_REASON_WORDS["duplicate"], text):
        return "pricing"
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
