"""Finds every value in a whole message by its kind: amounts, "the whole balance", counts
of payments, dates, and the words left over, so a form fills a slot only with its kind."""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Optional

from bot.conversation.parsing import (
    _AMOUNT,
    _end_of_month,
    _next_month_start,
    _NUMBER_WORDS,
    _RELATIVE_PHRASES,
    CURRENCY_CODES,
    _CURRENCY_SIGNS,
    _number,
)


def fold(text: str) -> str:
    """Lower case without accents: customers type "manana" for "mañana"."""
    # One character for one, so positions in the folded text are positions in the text.
    out = []
    for char in text or "":
        lowered = char.lower()
        bare = "".join(c for c in unicodedata.normalize("NFKD", lowered)
                       if not unicodedata.combining(c))
        out.append(bare if len(bare) == 1 else (lowered if len(lowered) == 1 else char))
    return "".join(out)


_MONTHS = {
    1: "january jan enero janvier januar janner janeiro",
    2: "february feb febrero fevrier februar fevereiro",
    3: "march mar marzo mars marz maerz marco",
    4: "april apr abril avril",
    5: "may mayo mai maio",
    6: "june jun junio juin juni junho",
    7: "july jul julio juillet juli julho",
    8: "august aug agosto aout",
    9: "september sep sept septiembre setiembre septembre setembro",
    10: "october oct octubre octobre oktober outubro",
    11: "november nov noviembre novembre novembro",
    12: "december dec diciembre decembre dezember dezembro",
}
MONTH_OF = {name: number for number, names in _MONTHS.items() for name in names.split()}
_MONTH = "|".join(sorted(MONTH_OF, key=len, reverse=True))

_WEEKDAYS = {
    0: "monday lunes lundi montag segunda segunda-feira",
    1: "tuesday martes mardi dienstag terca terca-feira",
    2: "wednesday miercoles mercredi mittwoch quarta quarta-feira",
    3: "thursday jueves jeudi donnerstag quinta quinta-feira",
    4: "friday viernes vendredi freitag sexta sexta-feira",
    5: "saturday sabado samedi samstag sonnabend",
    6: "sunday domingo dimanche sonntag",
}
WEEKDAY_OF = {name: number for number, names in _WEEKDAYS.items() for name in names.split()}
_WEEKDAY = "|".join(sorted(WEEKDAY_OF, key=len, reverse=True))

_NEXT_MONTH = (r"next month|the following month|(?:el )?pr[o]ximo mes|(?:el )?mes que viene|"
               r"(?:el )?mes pr[o]ximo|(?:el )?siguiente mes|(?:le )?mois prochain|"
               r"n[a]chsten monats?|kommenden monats?|(?:o )?pr[o]ximo mes|(?:o )?mes que vem")
_ORDINAL = r"(?:st|nd|rd|th|er|o|a|\.)?"
_WORD_NUMBER = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
# Words that are numbers only next to a unit ("une fois", "um pagamento"), never alone.
_ARTICLE_NUMBERS = {"un", "une", "um", "uma", "ein", "eine", "una", "uno", "once", "sept", "dez"}
_PLAIN_WORD_NUMBER = "|".join(sorted(set(_NUMBER_WORDS) - _ARTICLE_NUMBERS, key=len, reverse=True))
_SMALL = rf"(?:\d{{1,2}}|{_WORD_NUMBER})"

_TODAY = r"today|hoy|aujourd'hui|aujourdhui|heute|hoje"
_TOMORROW = r"tomorrow|manana|demain|morgen|amanha"
_AFTER_TOMORROW = (r"the day after tomorrow|day after tomorrow|pasado manana|apres-demain|"
                   r"apres demain|ubermorgen|uebermorgen|depois de amanha")


_ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
                  "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "fifteenth": 15,
                  "twentieth": 20, "thirtieth": 30, "primero": 1, "primer": 1,
                  "premier": 1, "erste": 1, "ersten": 1, "primeiro": 1}
_DAY = r"(?:\d{1,2}|" + "|".join(_ORDINAL_WORDS) + ")"


def _day(text: str) -> int:
    return int(text) if text.isdigit() else _ORDINAL_WORDS[text]


def _small(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[fold(text)]


def _next_day_of_month(day: int, today: date) -> Optional[date]:
    year, month = today.year, today.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return None


def _day_in_next_month(day: int, today: date) -> Optional[date]:
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, day) if day <= calendar.monthrange(year, month)[1] else None


def _on(year: int, month: int, day: int) -> Optional[date]:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_day(month: int, day: int, year: Optional[str], today: date) -> Optional[date]:
    if year:
        return _on(int(year), month, day)
    found = _on(today.year, month, day)
    if found is not None and found < today:
        found = _on(today.year + 1, month, day)
    return found


def _weekday_after(weekday: int, today: date) -> date:
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _numeric(match: re.Match, today: date, language: str) -> Optional[date]:
    first, second, year = int(match["a"]), int(match["b"]), match["y"]
    month, day = (first, second) if language == "en" else (second, first)
    if month > 12:  # "15/12" is a day first, whatever the language
        month, day = day, month
    if year and len(year) == 2:
        year = "20" + year
    return _month_day(month, day, year, today) if 1 <= month <= 12 else None


# Each pattern reads the folded text; the resolver turns its match into a date.
_DATE_PATTERNS = [
    (re.compile(r"\b(?P<y>20\d\d)-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
     lambda m, t, l: _on(int(m["y"]), int(m["m"]), int(m["d"]))),
    (re.compile(rf"\b(?:on |by |the |el |le |am |zum |den |dia |o dia |no dia )?(?:the )?"
                rf"(?:dia )?(?P<d>{_DAY}){_ORDINAL}\s*(?:of |de |del |du |des |do )?(?:the )?"
                rf"(?:{_NEXT_MONTH})\b"),
     lambda m, t, l: _day_in_next_month(_day(m["d"]), t)),
    (re.compile(rf"\b(?P<d>{_DAY}){_ORDINAL}\s*(?:of |de )?(?P<month>{_MONTH})\b\.?"
                rf"(?:,?\s*(?:de )?(?P<y>20\d\d))?"),
     lambda m, t, l: _month_day(MONTH_OF[m["month"]], _day(m["d"]), m["y"], t)),
    (re.compile(rf"\b(?P<month>{_MONTH})\.?\s+(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b"
                rf"(?:,?\s*(?P<y>20\d\d))?"),
     lambda m, t, l: _month_day(MONTH_OF[m["month"]], int(m["d"]), m["y"], t)),
    (re.compile(r"(?<![\d.,/])(?P<a>\d{1,2})[/.](?P<b>\d{1,2})(?:[/.](?P<y>20\d\d|\d\d))?"
                r"(?![\d/]|[.,]\d)"), _numeric),
    (re.compile(rf"\b(?:{_AFTER_TOMORROW})\b"), lambda m, t, l: t + timedelta(days=2)),
    (re.compile(r"\b(?:the )?(?:end of next month|fin del proximo mes|fin du mois prochain|"
                r"ende nachsten monats|fim do proximo mes)\b"),
     lambda m, t, l: _end_of_month(_day_in_next_month(1, t))),
    (re.compile(rf"\b(?:{_TOMORROW})\b"), lambda m, t, l: t + timedelta(days=1)),
    (re.compile(rf"\b(?:{_TODAY})\b"), lambda m, t, l: t),
    (re.compile(rf"\b(?:in|en|dentro de|dans|em|daqui a|within)\s+(?P<n>{_SMALL}|a|an|one|une?)"
                rf"\s+(?P<unit>days?|dias?|jours?|tagen?|weeks?|semanas?|semaines?|wochen?)\b"),
     lambda m, t, l: t + timedelta(days=(1 if m["n"] in ("a", "an", "un", "une") else _small(m["n"]))
                                   * (7 if m["unit"][0] in "wsS" and not m["unit"].startswith("d") else 1))),
    (re.compile(rf"\b(?P<wd>{_WEEKDAY})\b"), lambda m, t, l: _weekday_after(WEEKDAY_OF[m["wd"]], t)),
    # "the 20th", "on the 3rd", "el 20", "le 20", "am 20.", "dia 20"
    (re.compile(r"\b(?:on the|by the|the|el dia|el|para el|le|am|zum|bis zum|ab dem|den|"
                r"no dia|o dia|dia|ate o dia|ate dia)\s+(?P<d>\d{1,2})(?:st|nd|rd|th|er|\.)?"
                r"(?!\s*(?:[.,]\d|%|\d|payments?|instal|months?|cuotas?|pagos?|plazos?|meses|"
                r"versements?|mensualit|fois|mois|raten|zahlungen|monate|parcelas?|prestac|vezes|"
                r"pagamentos?|rolls?|units?|items?))"),
     lambda m, t, l: _next_day_of_month(int(m["d"]), t) if 1 <= int(m["d"]) <= 31 else None),
    (re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)\b"),
     lambda m, t, l: _next_day_of_month(int(m["d"]), t) if 1 <= int(m["d"]) <= 31 else None),
    (re.compile(rf"\b(?:{_NEXT_MONTH})\b"), lambda m, t, l: _next_month_start(t)),
]

_UNIT = (r"(?:(?:mont?h?ly|monthyl|equal|mensuales|mensuels?|mensuelles|monatliche[n]?|mensais|iguales|"
         r"iguais)\s+)?(?:payme?n?t?s?|paym\w+|payem\w+|pymn?ts?|pmts?|instal\w*|install\w*|months?|"
         r"parts?|cuot\w*|pagos?|plaz\w*|versem\w*|versm\w*|mensualit\w*|rate?n\b|zahlung\w*|"
         r"monatsrat\w*|parcel\w*|prest\w*|"
         r"mensualidades|meses|versements?|mensualites|echeances|fois|mois|raten|monatsraten|"
         r"zahlungen|monate[n]?|teilzahlungen|parcelas?|prestacoes|vezes|pagamentos?|"
         r"mensalidades)\b")
_COUNT = re.compile(rf"\b(?P<n>{_SMALL})\s+{_UNIT}|\b(?P<n5>\d{{1,2}})\s?x\b|\b(?:split|divide|spread|break)\w*\s+"
                    rf"(?:it\s+|that\s+|this\s+|the \w+\s+)?(?:in|into|over)\s+(?P<n2>{_SMALL})\b"
                    rf"|\b(?:dividir|dividirlo|repartir|fraccionar)\w*\s+(?:en|em)\s+(?P<n3>{_SMALL})\b"
                    rf"|\b(?:aufteilen|verteilen)\s+(?:auf|in)\s+(?P<n4>{_SMALL})\b")

_WHOLE = re.compile(
    r"\b(?:(?:the )?(?:whole|entire|full|total|complete|outstanding|open) (?:bal[ae]n\w*|amount|"
    r"invoice|thing|sum)|in full|everything|all of it|all of them|the lot|all we owe|"
    r"(?:the )?balance in full|the total|the balance|"
    r"todo el saldo|el saldo (?:total|completo|pendiente)|saldo total|la totalidad|"
    r"en su totalidad|todo lo que (?:debemos|debo|debe)|el total|completo|completa|todo|"
    r"tout le solde|le solde (?:total|complet)|la totalite|en totalite|l'integralite|"
    r"integralite|integralement|en entier|tout ce que (?:nous devons|je dois)|le total|tout|"
    r"(?:den |die )?(?:gesamten?|ganzen?|vollen?|kompletten?|offenen?) (?:offenen? )?"
    r"(?:saldo|betrag|summe|rechnung|rest)|restbetrag|"
    r"(?:el |lo )?(?:saldo|importe) (?:pendiente|restante)|todo lo pendiente|"
    r"le solde (?:restant|du)|tout ce qui reste|le reste|"
    r"(?:o )?(?:saldo|valor) em aberto|tudo em aberto|"
    r"gesamtsaldo|gesamtbetrag|vollstandig|vollstaendig|komplett|alles|in voller hohe|"
    r"todo o saldo|o saldo (?:total|todo|integral)|saldo total|integral|integralmente|tudo|"
    r"o total|o valor total|a totalidade|na totalidade)\b")

_FILLER = set("""a an the and or of to for it its it's is on in at by we i us our my me you
please pls ok okay yes yeah no so then also just that this be will would like want can could
y o el la los las de del un una unos que lo por para en es nos nuestro mi me se al
et ou le les des du une est nous notre mon je pour sur en au aux ce
und oder der die das den dem des ein eine ist wir unser ich fur zu von im am bitte
e os as do da dos das um uma que nos nosso meu eu para em no na por
let's lets make change instead actually rather sorry oh well hmm hi hello thanks thank
invoice factura facture rechnung fatura inv nr no number numero next this coming starting
from start first proximo proxima prochain prochaine nachsten nachste kommenden ab que vem
mensuales mensuels mensuelles monatlich mensais monthly""".split())


@dataclass
class MessageValues:
    """What one message carries, each value with its kind; `words` are the words that
    carried none of them (what remains to tell a request from an answer)."""

    amounts: list[Decimal] = field(default_factory=list)
    whole: bool = False
    count: Optional[int] = None
    dates: list[date] = field(default_factory=list)
    bare_numbers: list[int] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def content_words(self) -> list[str]:
        return [w for w in self.words if w not in _FILLER and len(w) > 1]


class _Masked:
    """The folded text, with claimed spans blanked so each value is read once."""

    def __init__(self, text: str):
        self.text = fold(text)

    def claim(self, pattern: re.Pattern, resolve) -> list:
        found = []
        for match in list(pattern.finditer(self.text)):
            value = resolve(match)
            if value is None:
                continue
            found.append(value)
            start, end = match.span()
            self.text = self.text[:start] + " " * (end - start) + self.text[end:]
        return found

    def blank(self, words: list[str]) -> None:
        for word in words:
            pattern = re.compile(r"(?<![\w])" + re.escape(fold(word)) + r"(?![\w])")
            self.text = pattern.sub(lambda m: " " * len(m.group(0)), self.text)


_AMOUNT_IN_WORDS = re.compile(
    r"(?<![\w.,])(?P<n>\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)\s*"
    r"(?:dollars?|bucks|euros?|reais|reales|pounds?|francs?|pesos|dolares|dolares|eur|usd|"
    r"brl|cad)\b")


def _worded_amount(match: re.Match, language: str) -> Optional[Decimal]:
    number = _number(match["n"], language)
    return number.quantize(Decimal("0.01")) if number is not None else None


def _marked(match: re.Match) -> bool:
    marks = [(match.group(g) or "").strip() for g in ("prefix", "suffix")]
    return any(m.lower() == "k" or m in _CURRENCY_SIGNS or m.upper() in CURRENCY_CODES
               for m in marks if m)


def find_values(text: str, today: date, language: str = "en",
                claimed: Optional[list[str]] = None) -> MessageValues:
    """Every value in text by kind. `claimed` are words already read as something else
    (the customer's invoice numbers), so they are neither amounts nor dates."""
    text = (text or "")[:1000]
    masked = _Masked(text)
    masked.blank(claimed or [])
    found = MessageValues(text=text)

    # Marked money first: "$412.50" is never a date or a count. The amount pattern is
    # case-sensitive for codes ("USD"), so it reads the unfolded text at the same places.
    original = text
    for match in list(_AMOUNT.finditer(original)):
        start, end = match.span()
        if masked.text[start:end].strip() != fold(original[start:end]).strip():
            continue  # part of a claimed word
        number_text = match.group("number")
        number = _number(number_text, language)
        if number is None:
            continue
        is_marked = _marked(match)
        has_cents = bool(re.search(r"[.,]\d{2}$", number_text))
        has_thousands = bool(re.search(r"\d[.,\s]\d{3}(?!\d)", number_text))
        if not (is_marked or has_cents or has_thousands):
            continue
        if not is_marked and re.fullmatch(r"\d{1,2}[.]\d{2}", number_text) and re.search(
                r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b", original):
            continue  # "15.12.2026" is a date
        if (match.group("suffix") or "").lower() == "k":
            number *= 1000
        found.amounts.append(number.quantize(Decimal("0.01")))
        masked.text = masked.text[:start] + " " * (end - start) + masked.text[end:]

    found.amounts += masked.claim(_AMOUNT_IN_WORDS, lambda m: _worded_amount(m, language))
    for pattern, resolve in _DATE_PATTERNS:
        found.dates += masked.claim(pattern, lambda m, r=resolve: r(m, today, language))
    for pattern, resolve in _RELATIVE_PHRASES:
        found.dates += masked.claim(re.compile(pattern.pattern, re.I),
                                    lambda m, r=resolve: r(today))
    counts = masked.claim(_COUNT, lambda m: _small(
        m["n"] or m["n2"] or m["n3"] or m["n4"] or m["n5"]))
    found.count = counts[0] if counts else None
    found.whole = bool(masked.claim(_WHOLE, lambda m: True))
    if re.fullmatch(r"\W*(all|the lot|toda|tous|alle|total|entier|gesamt)\W*", masked.text):
        found.whole, masked.text = True, ""  # "all" as the whole answer
    found.bare_numbers = masked.claim(re.compile(rf"(?<![\w.,])(?P<n>\d{{1,6}}|{_PLAIN_WORD_NUMBER})"
                                                 rf"(?![\w]|[.,]\d)"),
                                      lambda m: _small(m["n"]) if not m["n"].isdigit()
                                      else int(m["n"]))
    found.words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", masked.text)
    return found


_CANCEL = re.compile(
    r"^\W*(?:(?:please|ok|okay|no|oh)\W+)*(?:cancel(?: it| that| this| the \w+| please)?|"
    r"never ?mind|forget (?:it|about it|that)|stop|abort|quit|"
    r"cancelar(?:lo)?|cancela|olvidalo|olvidelo|olvida(?:lo)?|dejalo|dejelo|no importa|"
    r"da igual|annuler|annule|laisse tomber|laissez tomber|oublie(?:z)?(?: ca)?|tant pis|"
    r"abbrechen|vergiss es|vergessen sie es|egal|lass es|lassen sie es|stornieren|"
    r"esquece|esqueca|deixa pra la|deixa para la|deixa|nao importa|cancele)\b.{0,30}$")
_YES = re.compile(r"^\W*(?:yes|yep|yeah|yup|sure|ok|okay|correct|confirm(?:ed)?|go ahead|"
                  r"that's right|right|please do|do it|si|claro|correcto|vale|de acuerdo|"
                  r"adelante|confirmo|oui|d'accord|c'est bon|exact|parfait|ja|genau|richtig|"
                  r"passt|stimmt|einverstanden|bestatige|sim|certo|isso|pode|confirmo|ok|"
                  r"sounds good|looks good|that's fine|fine|perfect|great|agreed|absolutely|"
                  r"perfecto|dale|eso es|exacto|c'est ca|bien sur|volontiers|in ordnung|gerne|"
                  r"jawohl|perfeito|esta certo|exato|claro que sim|s)\b")
_NO = re.compile(r"^\W*(?:no|nope|nah|not really|non|nein|nao|neni)\b")


def means_cancel(text: str) -> bool:
    """"cancel", "never mind", "forget it" in our five languages, as the whole message."""
    return bool(_CANCEL.search(fold(text).strip()))


def means_yes(text: str) -> bool:
    return bool(_YES.search(fold(text)))


def means_no(text: str) -> bool:
    return bool(_NO.search(fold(text)))
