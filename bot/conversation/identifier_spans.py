"""Where a message names an invoice, a payment or an account number, read from the word
before the identifier ("factura", "ref", "Konto", "#") or from the identifier's own prefix
("WIRE-5520", "FAC-000123"), whatever shape the number has ("81234", "2026/0142",
"000045123", "chq-5531").

Only what the words make sure of is returned: a bare number with no such word before it
is left to the learned extractor, and an amount or a date is never an identifier.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

INVOICE, PAYMENT, ACCOUNT = "invoice_number", "payment_reference", "account_number"

# Words (folded: lower case, no accents, no dots) that say what the number after them is.
_KEYWORDS = {
    INVOICE: """invoice invoices inv invno invoiceno bill factura facturas fra fact fac
        facture factures fatura faturas rechnung rechnungen rechnungsnr rechnungsnummer
        re renr rgnr rg nf nfe fiscal ft""",
    PAYMENT: """payment payments pmt paymentref ref refs reference referencia referencias
        referencia referenz reference remittance wire transfer transfers transferencia
        transferencias transferencia virement virements uberweisung zahlung zahlungsref
        pago pagos pagamento pagamentos paiement reglement check cheque cheques chq chk
        ach eft comprovante pix ted verwendungszweck""",
    ACCOUNT: """account acct accountno acctno ac cuenta compte konto kundenkonto kontonr
        kontonummer conta kundennummer kundennr""",
}
_KIND_OF = {word: kind for kind, words in _KEYWORDS.items() for word in words.split()}
# German glues words to "Rechnung": "Rechnungskopie 6650", "Rechnungsduplikat 88412".
_INVOICE_COMPOUND = re.compile(r"^rechnung\w+$")
# "4711 and 4712", "66120, 66121 y 66122": a list goes on naming the same kind.
_AND = frozenset("and y e et und & ou or oder o".split())
# "customer no. 10442", "n° client 40219", "número de cliente 20331", "código do cliente".
_CUSTOMER_WORDS = frozenset("customer client cliente kunde kunden".split())
# Words between the keyword and the number that say "number", not what it is.
_MARKERS = frozenset("no nr n num numero number nummer nro id".split())
# After these the number is not ours: purchase orders, phone numbers.
_NOT_OURS = frozenset("""po order pedido commande bestellung bestellnr oc tel phone call
    mobile cell telefono telefone telefon telephone handy movil celular whatsapp fax""".split())
# An identifier's own prefix says what it is ("WIRE-5520", "fac-000123", "FT2409-7730").
_PAYMENT_PREFIX = re.compile(
    r"^(?:WIRE|ACH|TRN|TRF|TRX|PMT|PAY|SEPA|VIR|CHQ|CHK|EFT|ZV|PIX|TED|REM)(?:[-/_.]?\d)", re.I)
_INVOICE_PREFIX = re.compile(
    r"^(?:INV|FAC|FACT|FRA|FAT|RE|RG|NF|BILL)(?:[-/_.]?\d)", re.I)
# A word with a digit, made of letters, digits and the separators ERPs use.
_WORD = re.compile(r"[^\s,;:!?()\[\]{}\"'“”«»<>]+")
_ID = re.compile(r"^(?:[A-Za-z]{1,6}[-/_.]?)?\d[A-Za-z0-9]*(?:[-/_.][A-Za-z0-9]+)*$")
_AMOUNT = re.compile(r"^\d{1,3}(?:[.,]\d{3})*[.,]\d{1,2}$|^\d{1,3}(?:[.,]\d{3})+$")
_DATE = re.compile(r"^\d{1,2}[/.\-]\d{1,2}(?:[/.\-](?:\d{2}|\d{4}))?$"
                   r"|^\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}$")
_CURRENCY_SIGNS = frozenset({"$", "€", "£", "R$", "C$"})
_CURRENCY_CODES = frozenset("USD EUR GBP CAD MXN BRL CHF AUD ARS CLP COP PEN JPY".split())
_GLUED_MARK = re.compile(r"^(?P<word>[^\W\d_]+)\.?(?:#|nº|n°|no\.|nr\.)(?=\d)", re.I)
_NUMBER_MARK = re.compile(r"^(?:#|nº|n°|n\.º|no\.|nr\.|núm\.|num\.)", re.I)


@dataclass(frozen=True)
class IdentifierSpan:
    kind: str
    start: int
    end: int


def _fold(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in folded if c.isalnum() and not unicodedata.combining(c))


def _kind_before(words: list[str]) -> Optional[str]:
    """What the words before a number (nearest last) say it is, if they say."""
    seen_customer = False
    for index in range(len(words) - 1, max(-1, len(words) - 5), -1):
        folded = _fold(words[index])
        if not folded or folded in _MARKERS:
            continue
        if folded in _NOT_OURS:
            return None
        if folded in _CUSTOMER_WORDS:
            seen_customer = True
            continue
        if seen_customer:
            return ACCOUNT
        kind = _KIND_OF.get(folded) or (INVOICE if _INVOICE_COMPOUND.match(folded) else None)
        if kind == PAYMENT and folded in ("ref", "refs", "reference", "referencia"):
            # "invoice ref 123" names an invoice; "ref 123" alone a payment.
            earlier = _kind_before(words[:index])
            return earlier if earlier in (INVOICE, ACCOUNT) else PAYMENT
        return kind
    return ACCOUNT if seen_customer else None


def _looks_like_money_or_date(token: str, before: str, after: str) -> bool:
    if _AMOUNT.match(token) or _DATE.match(token):
        return True
    marks = {before.strip(), after.strip(".,;")}
    return bool(marks & _CURRENCY_SIGNS) or bool({m.upper() for m in marks} & _CURRENCY_CODES)


def _listed_after(text: str, words: list[tuple[str, int]], index: int,
                  last: IdentifierSpan) -> Optional[str]:
    """The kind of `last` when the word at `index` goes on its list ("4711 and 4712",
    "66120, 66121")."""
    def within(i: int) -> bool:
        return i >= 0 and words[i][1] <= last.start < words[i][1] + len(words[i][0])

    def gap(i: int) -> str:  # what is written between word i and the next one
        return text[words[i][1] + len(words[i][0]):words[i + 1][1]].strip()

    if within(index - 1) and gap(index - 1) in (",", ";", "/"):
        return last.kind
    if (within(index - 2) and gap(index - 2) in ("", ",") and _fold(words[index - 1][0]) in _AND):
        return last.kind
    return None


def identifier_spans(text: str) -> list[IdentifierSpan]:
    """The identifiers in `text` whose kind the words make sure of, as written (without
    the "#" or "nº" before them)."""
    words = [(m.group(0), m.start()) for m in _WORD.finditer(text or "")]
    spans = []
    for index, (word, start) in enumerate(words):
        body, offset, glued_kind = word, 0, None
        glued = _GLUED_MARK.match(body)
        if glued:  # "inv#2210", "fact#33410", "Nr.4711" glued to its keyword
            glued_kind = _KIND_OF.get(_fold(glued.group("word")))
            offset = glued.end()
        else:
            mark = _NUMBER_MARK.match(body)
            offset = mark.end() if mark else 0
        marked = offset > 0
        body = word[offset:].rstrip(".-/#")
        if not body or not any(c.isdigit() for c in body) or not _ID.match(body):
            continue
        if sum(c.isdigit() for c in body) < 3:
            continue
        before_word = words[index - 1][0] if index else ""
        after_word = words[index + 1][0] if index + 1 < len(words) else ""
        if _looks_like_money_or_date(body, before_word, after_word):
            continue
        previous = [w for w, _ in words[max(0, index - 4):index]]
        kind = glued_kind or _kind_before(previous)
        if kind is None and spans:
            kind = _listed_after(text, words, index, spans[-1])
        if kind is None:
            if _PAYMENT_PREFIX.match(body):
                kind = PAYMENT
            elif _INVOICE_PREFIX.match(body):
                kind = INVOICE
            elif marked and not previous or marked and _fold(previous[-1]) not in _NOT_OURS:
                kind = INVOICE  # "#11873", "la nº 5120-D": a number mark alone is an invoice's
        if kind is None:
            continue
        if kind == INVOICE and _PAYMENT_PREFIX.match(body):
            kind = PAYMENT  # "the invoice paid by WIRE-5520": the prefix is the surer sign
        begin = start + offset
        spans.append(IdentifierSpan(kind, begin, begin + len(body)))
    return spans


def _words_before(text: str, start: int) -> list[str]:
    return [m.group(0) for m in _WORD.finditer((text or "")[:start])]


def account_context(text: str, start: int) -> bool:
    """Whether the words just before `start` say the number there is an account."""
    return _kind_before(_words_before(text, start)) == ACCOUNT


def not_ours_context(text: str, start: int) -> bool:
    """Whether the word just before `start` says the number there is a purchase order or a
    phone number, not an invoice, a payment or an account of ours."""
    previous = [w for w in _words_before(text, start) if _fold(w) not in _MARKERS]
    return bool(previous) and _fold(previous[-1]) in _NOT_OURS
