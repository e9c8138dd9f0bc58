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
    ("request_invoice_copy", r"\b(copy|copies|copie|copia|copias|kopie|pdf|resend|re-send|"
                             r"duplicate|segunda via)\b"),
)
# Long words customers mistype ("balnce", "statment", "outstandng"): one letter left
# out, added, changed or two swapped still asks the question. (Short ones would catch
# other words: "sole" for "solde".)
_MISTYPED = (
    ("ask_balance", ("balance", "outstanding")),
    ("request_statement", ("statement", "kontoauszug")),
)
_INVOICE_LIKE = re.compile(r"\d{3,}")
_WORD = re.compile(r"[a-z]+")


def _one_slip(word: str, meant: str) -> bool:
    """Whether word is meant with one letter left out, added, changed, or two swapped."""
    if len(word) != len(meant):
        shorter, longer = sorted((word, meant), key=len)
        return len(longer) - len(shorter) == 1 and any(
            longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))
    differ = [i for i, (a, b) in enumerate(zip(word, meant)) if a != b]
    swapped = len(differ) == 2 and differ[1] == differ[0] + 1 \
        and word[differ[0]] == meant[differ[1]] and word[differ[1]] == meant[differ[0]]
    return len(differ) <= 1 or swapped


def _mistyped(intent: str, words: list[str]) -> bool:
    for named, meant in _MISTYPED:
        if named == intent and any(_one_slip(w, m) for w in words for m in meant):
            return True
    return False


def questions_in(text: str) -> list[str]:
    """Every question of the kinds above that text asks, by its words."""
    folded = fold(text)
    typed = _WORD.findall(folded)
    found = []
    for intent, words in _QUESTIONS:
        if not re.search(words, folded) and not _mistyped(intent, typed):
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
