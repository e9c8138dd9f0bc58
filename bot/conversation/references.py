"""Which of the caller's invoices, payments and account a message names, whatever their shape.

The NLU's entities are a hint; the ledger is the truth. Every word (and pair of words)
that could be an identifier is reduced to its key (bot.ledger.identifier_keys) and looked
up among the caller's own records by that key, so a customer with thousands of invoices
costs two indexed queries. What looks like an identifier but is not the caller's is
reported as `unknown`, the same whether it belongs to another customer or to nobody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.ledger.identifier_keys import identifier_key, number_part
from bot.ledger.models import Customer, Invoice, Payment

# Words customers put before a number that say what it is, not part of it: in our five
# languages, as keys (accents and dots gone). A number after one of them may drop the
# record's own prefix ("invoice 123" for FAC-000123).
GENERIC_PREFIXES = frozenset("""
    INVOICE INVOICES INV INVNO INVOICENO INVOICENUMBER BILL FACTURA FACTURAS FACTURE
    FACTURES FATURA FATURAS RECHNUNG RECHNUNGEN RECHNUNGSNR RECHNUNGSNUMMER RE RENR RG RGNR
    FRA FACT FAC NF NO NR N NUM NUMERO NUMBER NRO NUMMER REF REFS REFERENCE REFERENCIA
    REFERENZ REFERENCE PAYMENT PAYMENTS PAGO PAIEMENT ZAHLUNG PAGAMENTO TRANSFER
    TRANSFERENCIA VIREMENT UBERWEISUNG TRANSFERENCIA WIRE ACH EFT CHECK CHEQUE CHQ CHK
    ACCOUNT ACCT CUENTA COMPTE KONTO CONTA ID
""".split())
# Words after which (or glued to which) a number is not one of ours to look up: purchase
# orders, phone numbers.
_NOT_OURS_BEFORE = frozenset("""
    PO ORDER PEDIDO COMMANDE BESTELLUNG BESTELLNR OC TEL PHONE CALL MOBILE CELL TELEFONO
    TELEFONE TELEFON TELEPHONE HANDY MOVIL CELULAR WHATSAPP FAX
""".split())

_WORD = re.compile(r"[^\s,;:!?()\[\]{}\"'“”«»<>]+")
_TRAILING = ".-/#"
_AMOUNT_SHAPE = re.compile(
    r"^(?:[$€£]|R\$|C\$)?\d{1,3}(?:[.,\s]\d{3})*[.,]\d{1,2}(?:[$€£]|R\$)?$"  # 412.50, 1.250,00
    r"|^(?:[$€£]|R\$|C\$)\d[\d.,]*$|^\d[\d.,]*(?:[$€£]|R\$)$"  # $1000, 300€
    r"|^\d{1,3}(?:,\d{3})+$|^\d{1,3}(?:\.\d{3})+$"  # 1,200  2.000
    r"|^\d+[kK]$")
_DATE_SHAPE = re.compile(
    r"^\d{1,2}[/.\-]\d{1,2}(?:[/.\-](?:\d{2}|\d{4}))?\.?$"  # 15/12, 15.12.2026, 3-12
    r"|^\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}$")  # 2026-12-15
_UNIT_SHAPE = re.compile(r"^\d+(?:st|nd|rd|th|er|e|º|°|am|pm|h|x|k|days?|d[ií]as|jours|tage|"
                         r"dias|pcs|units?|ml|l|kg|g|lbs?|oz|mm|cm|m)$", re.I)
_PHONE_SHAPE = re.compile(r"^\(?\d{2,4}\)?[-.]\d{3,4}[-.]\d{4}$")  # 312-555-0199
_DIGIT_GROUP = re.compile(r"^\(?\d{1,6}\)?(?:-\d{1,6})?$")
_BARE_NUMBER = re.compile(r"^\d{4,}[A-Z]?$")  # 81234, 2026/0142, 5120-D (as keys)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
MIN_KEY_LENGTH = 3


@dataclass(frozen=True)
class _Candidate:
    text: str           # as the customer wrote it
    words: range        # which words of the message it is made of
    key: str
    part: str           # the key without a generic prefix, else "" (see GENERIC_PREFIXES)
    suspect: bool       # reads as an amount or a date


@dataclass
class Named:
    """What a message names. Records in the order the message names them."""

    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    account: bool = False  # the caller's own account number
    unknown: list[str] = field(default_factory=list)  # named, not the caller's, as written

    @property
    def anything(self) -> bool:
        return bool(self.invoices or self.payments or self.account or self.unknown)


def _words(text: str) -> list[tuple[str, int, int]]:
    words = []
    for match in _WORD.finditer(text or ""):
        word = match.group(0)
        stripped = word.rstrip(_TRAILING).lstrip("#")
        if stripped:
            start = match.start() + word.index(stripped)
            words.append((stripped, start, start + len(stripped)))
    return words


def _letters(key: str) -> str:
    return key[: len(key) - len(key.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))]


def _candidate(text: str, words: range, suspect: bool) -> Optional[_Candidate]:
    key = identifier_key(text)
    if len(key) < MIN_KEY_LENGTH or not any(ch.isdigit() for ch in key):
        return None
    letters = _letters(key)
    part = number_part(key) if not letters or letters in GENERIC_PREFIXES else ""
    return _Candidate(text, words, key, part, suspect)


def _suspect(word: str) -> bool:
    return bool(_AMOUNT_SHAPE.match(word) or _DATE_SHAPE.match(word))


def _candidates(text: str, entities: Iterable[dict]) -> tuple[list[_Candidate], list]:
    words = _words(text)
    found: list[_Candidate] = []
    for i, (word, _start, _end) in enumerate(words):
        if not any(ch.isdigit() for ch in word) or "@" in word or "://" in word:
            continue
        suspect = _suspect(word)
        single = _candidate(word, range(i, i + 1), suspect)
        if single:
            found.append(single)
        if i and not suspect and not _suspect(words[i - 1][0]):
            pair = _candidate(f"{words[i - 1][0]} {word}", range(i - 1, i + 1), False)
            if pair:
                found.append(pair)
    # An entity the NLU read that our words do not hold (a slot, a value it normalised).
    seen = {c.text.upper() for c in found}
    for entity in entities:
        value = str(entity.get("value") or "").strip()
        if entity.get("entity") in IDENTIFIER_ENTITIES and value and value.upper() not in seen:
            extra = _candidate(value, _span_words(words, entity, value, text), _suspect(value))
            if extra:
                found.append(extra)
    return found, words


IDENTIFIER_ENTITIES = ("invoice_number", "payment_reference", "account_number")


def _span_words(words, entity: dict, value: str, text: str) -> range:
    start = entity.get("start")
    if start is None:
        start = (text or "").upper().find(value.upper())
    if start is None or start < 0:
        return range(0)
    end = start + len(value)
    inside = [i for i, (_w, s, e) in enumerate(words) if s < end and e > start]
    return range(inside[0], inside[-1] + 1) if inside else range(0)


def _lookup(session: Session, model, customer_id: int, key_column, digits_column,
            candidates: list[_Candidate]) -> list:
    keys = {c.key for c in candidates} | {c.part for c in candidates if c.part}
    parts = {c.part for c in candidates if c.part}
    if not keys:
        return []
    return list(session.scalars(select(model).where(
        model.customer_id == customer_id,
        or_(key_column.in_(sorted(keys)), digits_column.in_(sorted(parts or {""}))))))


def _strength(candidate: _Candidate, record_key: str, record_digits: str,
              identifier: str) -> int:
    """2: the same key; 1: the same number with the prefix left out; 0: no match."""
    if candidate.suspect:
        # An amount or a date is an identifier only when written exactly as one.
        return 2 if candidate.text.upper() == identifier.upper() else 0
    if candidate.key == record_key:
        return 2
    if candidate.part and candidate.part in (record_key, record_digits):
        return 1
    return 0


def name_references(session: Session, customer_id: int, text: str,
                    entities: Iterable[dict] = (), account_number: Optional[str] = None
                    ) -> Named:
    """The caller's invoices, payments and account that `text` names, and what else it
    names that looks like an identifier but is none of theirs (`unknown`).

    `entities` are the NLU's (dicts with entity, value and, if known, start); an entity
    the NLU found counts as named even when its shape is unusual."""
    entities = list(entities or ())
    candidates, words = _candidates(text, entities)
    invoices = _lookup(session, Invoice, customer_id, Invoice.number_key,
                       Invoice.number_digits, candidates)
    payments = _lookup(session, Payment, customer_id, Payment.reference_key,
                       Payment.reference_digits, candidates)
    if account_number is None:
        customer = session.get(Customer, customer_id)
        account_number = customer.account_number if customer else ""
    account_key = identifier_key(account_number)
    records = [(i, i.number_key, i.number_digits, i.invoice_number) for i in invoices]
    records += [(p, p.reference_key, p.reference_digits, p.payment_reference) for p in payments]
    records.append(("account", account_key, number_part(account_key), account_number))

    matches = []  # (strength, candidate, record)
    for candidate in candidates:
        for record, key, digits, identifier in records:
            strength = _strength(candidate, key, digits, identifier)
            if strength:
                matches.append((strength, candidate, record))
    # Stronger and longer readings first; a word serves one reading only (which may name
    # two records of the caller, an invoice and a payment with the same number). An
    # amount or a date is read as an identifier only when nothing else is one.
    matches.sort(key=lambda m: (not m[1].suspect, m[0], len(m[1].words)), reverse=True)
    plain_found = any(not candidate.suspect for _s, candidate, _r in matches)
    used: set[int] = set()
    readings: dict[tuple, int] = {}  # words of a reading taken -> its strength
    chosen: list[tuple[int, object]] = []
    for strength, candidate, record in matches:
        reading = (candidate.words.start, candidate.words.stop, candidate.text)
        if candidate.suspect and plain_found:
            continue
        if reading in readings:
            if readings[reading] != strength:
                continue
        elif used & set(candidate.words):
            continue
        readings[reading] = strength
        used |= set(candidate.words)
        if all(record is not r for _p, r in chosen):
            chosen.append((candidate.words.start if candidate.words else len(words), record))
    named = Named()
    for _position, record in sorted(chosen, key=lambda c: c[0]):
        if record == "account":
            named.account = True
        elif isinstance(record, Invoice):
            named.invoices.append(record)
        else:
            named.payments.append(record)
    named.unknown = _unknown(text, words, candidates, used, entities)
    return named


def _unknown(text: str, words, candidates: list[_Candidate], used: set[int],
             entities: list[dict]) -> list[str]:
    """What looks like an identifier the customer named and matched nothing of theirs, as
    written, in the order written."""
    excluded = set(used)
    for entity in entities:
        if entity.get("entity") in ("amount", "date", "instalments") and entity.get("value"):
            excluded |= set(_span_words(words, entity, str(entity["value"]), text))
    excluded |= _phone_numbers(words)
    found = [(i, word) for i, (word, _start, _end) in enumerate(words)
             if i not in excluded and _looks_like_identifier(word, words[i - 1][0] if i else "")]
    covered = {i for i, _word in found} | used
    for entity in entities:
        value = str(entity.get("value") or "").strip()
        if entity.get("entity") not in IDENTIFIER_ENTITIES or not value or _suspect(value):
            continue
        span = list(_span_words(words, entity, value, text))
        if span and set(span) <= covered or set(span) & used:
            continue
        # The NLU may cut a word short ("2026" of "2026/0143"): say the words it is in.
        written = " ".join(words[i][0] for i in span) if span else value
        found.append((span[0] if span else len(words), written))
        covered |= set(span)
    unknown: list[str] = []
    for _position, written in sorted(found, key=lambda f: f[0]):
        if identifier_key(written) not in {identifier_key(u) for u in unknown}:
            unknown.append(written)
    return unknown


def _phone_numbers(words) -> set[int]:
    """The words that make up a phone number written in groups ("07911 123456",
    "(11) 98765-4321", "01 23 45 67 89"): nine digits or more over two groups or more,
    starting with 0 or a bracket or with a short group (not "33410 33411", two invoices)."""
    phone: set[int] = set()
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _DIGIT_GROUP.match(words[j][0]):
            j += 1
        groups = [w for w, _s, _e in words[i:j]]
        digits = sum(ch.isdigit() for w in groups for ch in w)
        phone_like = groups and (groups[0][0] in "0(" or any(
            len(g.strip("()")) <= 3 for g in groups))
        if j - i >= 2 and digits >= 9 and phone_like:
            phone |= set(range(i, j))
        i = max(j, i + 1)
    return phone | {i for i, (w, _s, _e) in enumerate(words) if _PHONE_SHAPE.match(w)}


def _looks_like_identifier(word: str, previous: str) -> bool:
    if (not any(ch.isdigit() for ch in word) or "@" in word or "://" in word
            or word.startswith("+") or _suspect(word) or _UNIT_SHAPE.match(word)):
        return False
    before = identifier_key(previous)
    if before in _NOT_OURS_BEFORE:
        return False
    key = identifier_key(word)
    digits = number_part(key)
    if len(digits) < MIN_KEY_LENGTH:
        return False
    if _letters(key):
        # Glued to letters: WIRE-5520, fac-000124, nº81234; not PO4500017781.
        return _letters(key) not in _NOT_OURS_BEFORE
    if before in GENERIC_PREFIXES:
        return True
    return bool(_BARE_NUMBER.match(key)) and not _YEAR.match(word)
