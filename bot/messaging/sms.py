"""Text messaging rules that hold whatever the provider: how a long answer is cut into
segments, which whole-message carrier keywords (STOP, START, HELP) a text is, and how
buttons read as numbered choices. Pure functions; connectors (integrations/) use them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional, Sequence

from bot.languages import DEFAULT_LANGUAGE

# Segment sizes. An SMS longer than 160 GSM-7 characters (70 UCS-2) is sent as several
# concatenated parts, which some phones and carriers show out of order or as separate
# texts; 320 characters (2-5 parts) keeps each of our messages readable on its own while
# not sending a text per sentence. WhatsApp takes up to 1600 characters per message.
SMS_SEGMENT_CHARS = 320
WHATSAPP_SEGMENT_CHARS = 1600


def segment_chars(channel: str) -> int:
    """The segment size of a messaging channel ("sms" or "whatsapp")."""
    return WHATSAPP_SEGMENT_CHARS if channel == "whatsapp" else SMS_SEGMENT_CHARS

# --- segmenting ------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def _pieces(text: str, limit: int, splitter: re.Pattern) -> list[str]:
    return [p for p in splitter.split(text) if p.strip()] if len(text) > limit else [text]


def _words_within(text: str, limit: int) -> list[str]:
    """A sentence longer than a segment, cut between words (a single word longer than a
    segment, e.g. a huge link, is the only thing ever cut inside)."""
    chunks: list[str] = []
    for word in text.split():
        while len(word) > limit:
            chunks.append(word[:limit])
            word = word[limit:]
        chunks.append(word)
    return _pack(chunks, limit, " ")


def _pack(units: Sequence[str], limit: int, joiner: str) -> list[str]:
    """Greedily fill segments with whole units, in order."""
    segments: list[str] = []
    for unit in units:
        if segments and len(segments[-1]) + len(joiner) + len(unit) <= limit:
            segments[-1] += joiner + unit
        else:
            segments.append(unit)
    return segments


def segment(text: str, limit: int) -> list[str]:
    """Cut text into segments of at most limit characters, in reading order: between
    paragraphs where possible, else between sentences, else between words."""
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        paragraph = paragraph.strip()
        if len(paragraph) <= limit:
            units.append(paragraph)
            continue
        sentences: list[str] = []
        for line in _pieces(paragraph, limit, re.compile(r"\n")):
            for sentence in _pieces(line.strip(), limit, _SENTENCE_END):
                sentences += ([sentence] if len(sentence) <= limit
                              else _words_within(sentence, limit))
        units += _pack(sentences, limit, " ")
    return _pack([u for u in units if u], limit, "\n\n")


# --- carrier keywords ------------------------------------------------------------------

OPT_OUT, OPT_IN, HELP = "opt_out", "opt_in", "help"

# keyword -> (kind, languages it is a keyword of; the first is assumed when the
# conversation's language does not settle it)
KEYWORDS: dict[str, tuple[str, tuple[str, ...]]] = {
    **{k: (OPT_OUT, ("en",)) for k in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END",
                                        "QUIT")},
    "BAJA": (OPT_OUT, ("es",)), "ALTO": (OPT_OUT, ("es",)),
    "PARAR": (OPT_OUT, ("es", "pt")), "CANCELAR": (OPT_OUT, ("pt", "es")),
    "SAIR": (OPT_OUT, ("pt",)),
    "ARRET": (OPT_OUT, ("fr",)), "DESABONNER": (OPT_OUT, ("fr",)),
    "STOPP": (OPT_OUT, ("de",)), "ABMELDEN": (OPT_OUT, ("de",)),
    **{k: (OPT_IN, ("en",)) for k in ("UNSTOP", "YES")},
    "START": (OPT_IN, ("en", "de")),
    "ALTA": (OPT_IN, ("es",)), "COMENZAR": (OPT_IN, ("es",)),
    "INICIAR": (OPT_IN, ("es", "pt")), "VOLTAR": (OPT_IN, ("pt",)),
    "DEMARRER": (OPT_IN, ("fr",)),
    "HELP": (HELP, ("en",)), "AYUDA": (HELP, ("es",)), "AIDE": (HELP, ("fr",)),
    "HILFE": (HELP, ("de",)), "AJUDA": (HELP, ("pt",)),
}


@dataclass(frozen=True)
class Keyword:
    kind: str  # opt_out | opt_in | help
    word: str
    language: str


def _bare(text: str) -> str:
    """'  Arrêt! ' -> 'ARRET': no accents, case, punctuation or spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", letters).upper()


def keyword(text: Optional[str], language: Optional[str] = None) -> Optional[Keyword]:
    """The carrier keyword a whole message is, if it is one: "stop" is, "please stop the
    reminders" is not. language (the conversation's) settles words two languages share."""
    word = _bare(text or "")
    if word not in KEYWORDS:
        return None
    kind, languages = KEYWORDS[word]
    return Keyword(kind, word, language if language in languages else languages[0])


# What we answer to a keyword, in the keyword's language. {company} and {contact} come
# from settings.
KEYWORD_REPLIES: dict[str, dict[str, str]] = {
    OPT_OUT: {
        "en": "You are unsubscribed from {company} accounts receivable messages and will "
              "get no more. Reply START to subscribe again.",
        "es": "Ha dado de baja los mensajes de cuentas por cobrar de {company} y no "
              "recibirá más. Responda ALTA para volver a suscribirse.",
        "fr": "Vous êtes désinscrit des messages du service clients de {company} et n'en "
              "recevrez plus. Répondez DEMARRER pour vous réinscrire.",
        "de": "Sie sind von den Nachrichten der Debitorenbuchhaltung von {company} "
              "abgemeldet und erhalten keine weiteren. Antworten Sie START, um sie "
              "wieder zu erhalten.",
        "pt": "Você cancelou as mensagens de contas a receber da {company} e não "
              "receberá mais. Responda VOLTAR para voltar a recebê-las.",
    },
    OPT_IN: {
        "en": "You are subscribed again to {company} accounts receivable messages. "
              "Reply HELP for help, STOP to unsubscribe.",
        "es": "Vuelve a recibir los mensajes de cuentas por cobrar de {company}. "
              "Responda AYUDA para obtener ayuda, BAJA para darse de baja.",
        "fr": "Vous recevez de nouveau les messages du service clients de {company}. "
              "Répondez AIDE pour de l'aide, ARRET pour vous désinscrire.",
        "de": "Sie erhalten wieder Nachrichten der Debitorenbuchhaltung von {company}. "
              "Antworten Sie HILFE für Hilfe, STOPP zum Abmelden.",
        "pt": "Você voltou a receber as mensagens de contas a receber da {company}. "
              "Responda AJUDA para ajuda, SAIR para cancelar.",
    },
    HELP: {
        "en": "{company} accounts receivable assistant: ask about balances, invoices and "
              "payments. For a person, reply AGENT or contact {contact}. Reply STOP to "
              "unsubscribe.",
        "es": "Asistente de cuentas por cobrar de {company}: pregunte por saldos, "
              "facturas y pagos. Para hablar con una persona, responda AGENTE o "
              "contacte con {contact}. Responda BAJA para darse de baja.",
        "fr": "Assistant comptabilité clients de {company} : questions sur les soldes, "
              "factures et paiements. Pour parler à une personne, répondez AGENT ou "
              "contactez {contact}. Répondez ARRET pour vous désinscrire.",
        "de": "Assistent der Debitorenbuchhaltung von {company}: Fragen zu Salden, "
              "Rechnungen und Zahlungen. Für einen Menschen antworten Sie AGENT oder "
              "wenden sich an {contact}. Antworten Sie STOPP zum Abmelden.",
        "pt": "Assistente de contas a receber da {company}: pergunte sobre saldos, "
              "faturas e pagamentos. Para falar com uma pessoa, responda ATENDENTE ou "
              "contate {contact}. Responda SAIR para cancelar.",
    },
}


def keyword_reply(found: Keyword, company: str, contact: str) -> str:
    return KEYWORD_REPLIES[found.kind][found.language].format(company=company,
                                                              contact=contact)


# --- numbered choices ------------------------------------------------------------------

_REPLY_WITH = {"en": ("Reply", "or"), "es": ("Responda", "o"), "fr": ("Répondez", "ou"),
               "de": ("Antworten Sie", "oder"), "pt": ("Responda", "ou")}


def choices_prompt(count: int, language: Optional[str] = None) -> str:
    """'Reply 1, 2 or 3' in the conversation's language (English when unknown)."""
    verb, conjunction = _REPLY_WITH.get(language or "", _REPLY_WITH[DEFAULT_LANGUAGE])
    numbers = [str(n) for n in range(1, count + 1)]
    listed = numbers[0] if count == 1 else (
        f"{', '.join(numbers[:-1])} {conjunction} {numbers[-1]}")
    return f"{verb} {listed}"


def numbered_choices(text: str, buttons: Sequence[dict], language: Optional[str] = None
                     ) -> str:
    """A message with buttons as a text a phone can answer: the choices numbered, then
    how to pick one."""
    lines = [text.strip()] if text and text.strip() else []
    lines += [f"{n}. {b.get('title') or b.get('payload')}" for n, b in enumerate(buttons, 1)]
    lines.append(choices_prompt(len(buttons), language))
    return "\n".join(lines)


# Answer to a message with no text (a picture, a voice note, an empty body).
NOT_TEXT_REPLIES = {
    "en": "Sorry, I can only read text. Please type your question.",
    "es": "Lo siento, solo puedo leer texto. Escriba su pregunta, por favor.",
    "fr": "Désolé, je ne lis que le texte. Veuillez écrire votre question.",
    "de": "Entschuldigung, ich kann nur Text lesen. Bitte schreiben Sie Ihre Frage.",
    "pt": "Desculpe, só consigo ler texto. Por favor, escreva a sua pergunta.",
}


def not_text_reply(language: Optional[str] = None) -> str:
    return NOT_TEXT_REPLIES.get(language or "", NOT_TEXT_REPLIES[DEFAULT_LANGUAGE])
