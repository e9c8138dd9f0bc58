"""The other questions one message asks ("what do we owe, has wire-77120 arrived, and a
statement please"): each is answered in turn, after the one the intent model picked."""

from __future__ import annotations

import re

from bot.conversation.message_values import fold

# In the order they are answered after the first.
_QUESTIONS = (
    ("ask_balance", r"\b(owe|balance|outstanding|saldo|solde|debemos|devons|schulden|devemos|"
                    r"offene[nr]? betrag)\b"),
    ("ask_invoice_status", r"\b(due|paid|status|vence|vencimiento|pagad[ao]|echeance|"
                           r"payee|due quand|fallig|bezahlt|vencimento|paga)\b"),
    ("ask_payment_status", r"\b(received|arrived|got|come in|recibid\w*|llegad\w*|recu|"
                           r"arrive|angekommen|eingegangen|erhalten|recebe\w*|chegou)\b"),
    ("request_statement", r"\b(statement|estado de cuenta|releve|kontoauszug|extrato)\b"),
)
_INVOICE_LIKE = re.compile(r"\d{3,}")


def questions_in(text: str) -> list[str]:
    """Every question of the four kinds above that text asks, by its words."""
    folded = fold(text)
    found = []
    for intent, words in _QUESTIONS:
        if not re.search(words, folded):
            continue
        if intent == "ask_invoice_status" and not _INVOICE_LIKE.search(folded):
            continue  # "paid" without an invoice number is not this question
        found.append(intent)
    return found


def answer_order(first: str, text: str) -> list[str]:
    """The questions to answer, the intent model's first; only when there are several
    clauses (a single question is only the first)."""
    if len(re.findall(r"[?]|,|\b(and|y|et|und|e)\b", fold(text))) == 0:
        return [first]
    return [first] + [q for q in questions_in(text) if q != first]
