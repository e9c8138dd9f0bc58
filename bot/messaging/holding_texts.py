"""What a customer is told when their message is kept for later: they wrote faster than
the rate limit allows, or the assistant cannot answer just now. Five languages."""

from __future__ import annotations

from typing import Optional

from bot.languages import DEFAULT_LANGUAGE

RATE_LIMITED, UNAVAILABLE = "rate_limited", "unavailable"

RATE_LIMITED_TEXTS = {
    "en": "You're sending messages faster than I can answer them. I've kept them all "
          "and will answer each one, in order, in a minute or so.",
    "es": "Está enviando mensajes más rápido de lo que puedo responder. Los he guardado "
          "todos y responderé a cada uno, en orden, en un minuto más o menos.",
    "fr": "Vous envoyez des messages plus vite que je ne peux y répondre. Je les ai tous "
          "gardés et je répondrai à chacun, dans l'ordre, d'ici une minute environ.",
    "de": "Sie senden Nachrichten schneller, als ich sie beantworten kann. Ich habe alle "
          "aufbewahrt und beantworte jede der Reihe nach in etwa einer Minute.",
    "pt": "Está a enviar mensagens mais depressa do que consigo responder. Guardei todas "
          "e vou responder a cada uma, por ordem, dentro de um minuto ou pouco mais.",
}

UNAVAILABLE_TEXTS = {
    "en": "Sorry, I can't look that up right now. I've kept your message and will answer "
          "it here as soon as I can.",
    "es": "Lo siento, ahora mismo no puedo consultarlo. He guardado su mensaje y le "
          "responderé aquí en cuanto pueda.",
    "fr": "Désolé, je ne peux pas consulter cela pour le moment. J'ai gardé votre message "
          "et j'y répondrai ici dès que possible.",
    "de": "Entschuldigung, ich kann das gerade nicht nachsehen. Ich habe Ihre Nachricht "
          "aufbewahrt und antworte hier, sobald ich kann.",
    "pt": "Desculpe, neste momento não consigo consultar isso. Guardei a sua mensagem e "
          "vou responder aqui assim que puder.",
}

_TEXTS = {RATE_LIMITED: RATE_LIMITED_TEXTS, UNAVAILABLE: UNAVAILABLE_TEXTS}


def text(notice: str, language: Optional[str]) -> str:
    """The notice in the customer's language, else English."""
    texts = _TEXTS[notice]
    return texts.get(language or "", texts[DEFAULT_LANGUAGE])
