"""What a document request asks for beyond the document: by email ("email it to me",
"send it to AP", "por correo", "par mail", "per E-Mail")."""

from __future__ import annotations

import re
import unicodedata

EMAIL_WORDS = re.compile(
    r"\b(e-?mail(s|ed|en)?|mail(ed|en)?|correo|courriel|inbox|bandeja)\b"
    r"|\bto (our |the )?(ap|a/p|accounts payable|payables)( team| department)?\b"
    r"|\b(a|al|para|pour|an|fur) (la |el |o |den |die )?(ap|contabilidad|compta(bilite)?|"
    r"kreditorenbuchhaltung|contas a pagar)\b")


def asks_for_email(text: str) -> bool:
    folded = unicodedata.normalize("NFKD", (text or "").lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return bool(EMAIL_WORDS.search(folded))
