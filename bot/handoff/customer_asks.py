"""A customer with a person who asks for the bot back, in the five languages."""

from __future__ import annotations

import re
import unicodedata

_BOT = r"(?:bot|chat ?bot|robot|robo|assistant|assistente|asistente|assistent|ia|ai)"
_BACK = re.compile(
    r"\b(?:back to|return to|talk to|give me|switch to|i want|i'd like) (?:the )?" + _BOT + r"\b"
    r"|\b(?:volver|regresar|hablar) (?:al|con el) " + _BOT + r"\b"
    r"|\b(?:revenir|retour|parler) (?:au|a l'|avec l'|avec le) ?" + _BOT + r"\b"
    r"|\b(?:zuruck zum|wieder zum|mit dem) " + _BOT + r"\b"
    r"|\b(?:voltar (?:ao|para o|pro)|falar com o) " + _BOT + r"\b")


def _folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", (text or "").lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def asks_for_the_bot(text: str) -> bool:
    return bool(_BACK.search(_folded(text)))
