"""Reads a whole message into the slots of a request's form, each value only into a slot
of its kind, and checks each against the ledger before it is kept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Callable, Optional, Union

from sqlalchemy.orm import Session

from bot.conversation.identity import Caller, find_invoice
from bot.conversation.message_values import MessageValues, find_values, fold
from bot.conversation.parsing import WHOLE_BALANCE, invoice_tokens
from bot.languages import language_named_in
from bot.ledger.figures import account_summary, open_amount
from bot.ledger.models import CONTACT_CHANNELS, Customer, Invoice
from bot.requests.contacts import (
    ContactInputError,
    field_from_text,
    find_email,
    normalise_preference,
)
from bot.requests.disputes import DISPUTE_REASONS, reason_from_text

WHOLE_INVOICE = "all"
MAX_INSTALMENTS_ASKED = 36
LATEST_PLAN_START_DAYS = 365

FORM_SLOTS = {
    "payment_plan_form": ("plan_amount", "plan_instalments", "plan_start_date"),
    "dispute_form": ("dispute_invoice", "dispute_reason", "disputed_amount",
                     "dispute_description"),
    "promise_form": ("promise_amount", "promise_date"),
    "contact_preference_form": ("preference_field", "preference_value"),
}
# Slots a form keeps when the message carries them but never asks for.
OPTIONAL_SLOTS = {"promise_form": ("promise_invoice",), "payment_plan_form": ("plan_invoices",)}


@dataclass
class Refusal:
    """A value of the right kind that cannot be kept, and why (a response picks words)."""

    slot: str
    code: str
    details: dict = field(default_factory=dict)


@dataclass
class FormReading:
    values: dict[str, str] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    content_words: list[str] = field(default_factory=list)
    found_values: bool = False
    unknown_invoice: Optional[str] = None


_INVOICE_WORD = re.compile(r"\b(?:invoice|inv|factura|facture|rechnung|fatura|nota)\b\W{0,3}$",
                           re.I)


def _invoices_named(session: Session, caller: Caller, text: str
                    ) -> tuple[list[Invoice], list[str], Optional[str]]:
    """The caller's invoices the text names, the words that named them, and a word that
    looks like an invoice number but is none of theirs."""
    found, words, unknown = [], [], None
    for token in invoice_tokens(text):
        invoice = find_invoice(session, caller, token)
        if invoice is not None:
            if invoice not in found:
                found.append(invoice)
            words.append(token)
            continue
        alone = re.search(r"(?<![\w/-])#?" + re.escape(token) + r"(?![\w/-])", text)
        if unknown is None and alone and (_INVOICE_WORD.search(text[:alone.start()])
                                          or re.match(r"(?i)(inv|f|fa|rg)[-#]?\d", token)):
            unknown = token
    # "invoice 4471": the word naming an invoice is not left over either.
    words += [m.group(0) for m in re.finditer(
        r"(?i)\b(?:invoice|inv|factura|facture|rechnung|fatura|nota)\b", text)] if found else []
    return found, words, unknown


def _balance(session: Session, caller: Caller, today: date) -> Callable[[], Decimal]:
    """The caller's net balance, read from the ledger when a reading first needs it: most
    form messages give a date, a count or a yes, not an amount to check."""
    return lru_cache(maxsize=1)(
        lambda: account_summary(session.get(Customer, caller.customer_id), today).net_balance)


def read_form_message(form: str, session: Session, caller: Caller, text: str, today: date,
                      language: str, requested: Optional[str], slots: dict,
                      promise_horizon_days: int = 60) -> FormReading:
    """What `text` says for `form`: each slot's value in stored form (text), what was
    refused and why. `requested` is the slot just asked for: a bare "4" answers it."""
    invoices, invoice_words, unknown = _invoices_named(session, caller, text)
    values = find_values(text, today, language, claimed=invoice_words + (
        [unknown] if unknown else []))
    reading = FormReading(content_words=values.content_words, unknown_invoice=unknown)
    reader = {"payment_plan_form": _read_plan, "dispute_form": _read_dispute,
              "promise_form": _read_promise,
              "contact_preference_form": _read_contact}[form]
    reader(reading, values, invoices, session, caller, today, requested, slots,
           promise_horizon_days)
    reading.found_values = bool(reading.values or reading.refusals or
                                (unknown and form in ("dispute_form", "promise_form")))
    return reading


def _bare_only(values: MessageValues) -> Optional[int]:
    """A lone number ("4", "four") that can answer only the question just asked."""
    if len(values.bare_numbers) == 1 and not values.amounts and not values.dates \
            and values.count is None:
        return values.bare_numbers[0]
    return None


def _amount_within(reading, slot, amount: Decimal,
                   limit: Union[Decimal, Callable[[], Decimal]], code: str) -> None:
    limit = limit() if callable(limit) else limit
    if amount <= 0 or amount > limit:
        reading.refusals.append(Refusal(slot, code, {"limit": limit, "amount": amount}))
    else:
        reading.values[slot] = str(amount)


def _start_date(reading, slot, when: date, today: date, latest: date, code: str) -> None:
    if when < today:
        reading.refusals.append(Refusal(slot, "date_in_past", {"date": when}))
    elif when > latest:
        reading.refusals.append(Refusal(slot, code, {"latest": latest, "date": when}))
    else:
        reading.values[slot] = when.isoformat()


def _day_of_month(number: int, today: date) -> Optional[date]:
    from bot.conversation.message_values import _next_day_of_month

    return _next_day_of_month(number, today) if 1 <= number <= 31 else None


def _read_plan(reading, values, invoices, session, caller, today, requested, slots, _h):
    balance = _balance(session, caller, today)
    bare = _bare_only(values)
    if invoices:
        # A plan for named invoices is for what is still open on them.
        reading.values["plan_invoices"] = ", ".join(i.invoice_number for i in invoices)
    if values.amounts:
        _amount_within(reading, "plan_amount", values.amounts[0], balance, "amount_above_balance")
    elif invoices:
        _amount_within(reading, "plan_amount", sum(open_amount(i) for i in invoices), balance,
                       "nothing_owed")
    elif values.whole:
        reading.values["plan_amount"] = WHOLE_BALANCE
    elif requested == "plan_amount" and bare is not None:
        _amount_within(reading, "plan_amount", Decimal(bare).quantize(Decimal("0.01")), balance,
                       "amount_above_balance")
    count = values.count if values.count is not None else (
        bare if requested == "plan_instalments" else None)
    if count is not None:
        if 1 <= count <= MAX_INSTALMENTS_ASKED:
            reading.values["plan_instalments"] = str(count)
        else:
            reading.refusals.append(Refusal("plan_instalments", "instalments_out_of_range",
                                            {"count": count}))
    when = values.dates[0] if values.dates else (
        _day_of_month(bare, today) if requested == "plan_start_date" and bare else None)
    if when is not None:
        _start_date(reading, "plan_start_date", when, today,
                    today + timedelta(days=LATEST_PLAN_START_DAYS), "date_too_far")


def _read_promise(reading, values, invoices, session, caller, today, requested, slots,
                  horizon_days):
    invoice = invoices[0] if invoices else None
    if invoice is None and slots.get("promise_invoice"):
        invoice = find_invoice(session, caller, slots["promise_invoice"])
    if invoices:
        reading.values["promise_invoice"] = invoice.invoice_number
    limit = _balance(session, caller, today)
    bare = _bare_only(values)
    if values.amounts:
        _amount_within(reading, "promise_amount", values.amounts[0], limit,
                       "amount_above_balance")
    elif values.whole or (invoices and not (requested == "promise_amount" and bare)):
        # "we'll pay invoice 4471 on friday": what is open on the invoices it names.
        whole = sum(open_amount(i) for i in invoices) if invoices else (
            open_amount(invoice) if invoice is not None else limit())
        _amount_within(reading, "promise_amount", whole, limit, "nothing_owed")
    elif requested == "promise_amount" and bare is not None:
        _amount_within(reading, "promise_amount", Decimal(bare).quantize(Decimal("0.01")),
                       limit, "amount_above_balance")
    when = values.dates[0] if values.dates else (
        _day_of_month(bare, today) if requested == "promise_date" and bare else None)
    if when is not None:
        _start_date(reading, "promise_date", when, today,
                    today + timedelta(days=horizon_days), "date_beyond_horizon")


def _read_dispute(reading, values, invoices, session, caller, today, requested, slots, _h):
    invoice = invoices[0] if invoices else None
    if invoice is not None:
        reading.values["dispute_invoice"] = invoice.invoice_number
    elif reading.unknown_invoice:
        reading.refusals.append(Refusal("dispute_invoice", "invoice_not_found",
                                        {"invoice_number": reading.unknown_invoice}))
    if invoice is None and slots.get("dispute_invoice"):
        invoice = find_invoice(session, caller, slots["dispute_invoice"])
    bare = _bare_only(values)
    # "1,25 € agreed, 1,40 € billed: 600,00 € too much": the disputed sum comes last.
    amounts = [a for a in values.amounts if invoice is None or a != invoice.amount] \
        or values.amounts
    if amounts:
        limit = invoice.amount if invoice is not None else amounts[-1]
        _amount_within(reading, "disputed_amount", amounts[-1], limit, "amount_above_invoice")
    elif values.whole:
        reading.values["disputed_amount"] = WHOLE_INVOICE
    elif requested == "disputed_amount" and bare is not None and invoice is not None:
        _amount_within(reading, "disputed_amount", Decimal(bare).quantize(Decimal("0.01")),
                       invoice.amount, "amount_above_invoice")
    text = values.text.strip()
    reason = None
    if requested == "dispute_reason" and text.isdigit() and 1 <= int(text) <= len(DISPUTE_REASONS):
        reason = DISPUTE_REASONS[int(text) - 1]
    reason = reason or reason_from_text(text)
    if reason is not None:
        reading.values["dispute_reason"] = reason
    described = len(values.content_words) >= 3
    if (described and (reason or not slots.get("dispute_description"))) or (
            requested == "dispute_description" and values.content_words):
        reading.values["dispute_description"] = text[:2000]


_CHANNEL_WORDS = {
    "whatsapp": r"whats ?app|wpp|zap",
    "sms": r"\bsms\b|\btext(?:s|ing)?\b|\bmensajes? de texto|\btexto\b|\bsms\b",
    "email": r"\be-?mail\b|\bcorreo\b|\bcourriel\b|\bmail\b",
    "slack": r"\bslack\b",
}


_NEW_CONTACT = re.compile(
    r"\b(new|another|second|extra) (ap |accounts payable )?(contact|person|colleague)|\badd\b|"
    r"nuevo contacto|otro contacto|agregar|anadir|nouveau contact|autre contact|ajouter|"
    r"neue[nr]? (kontakt|ansprechpartner)|hinzufugen|novo contato|outro contato|adicionar|incluir")
_CHANNEL_CUE = re.compile(
    r"\b(by|via|through|over|per|por|par|pelo|pela|uber|instead|rather|prefer\w*|use|using|"
    r"switch\w*|from now on|en vez|au lieu|plutot|statt|lieber|em vez|preferi\w*|usar|utiliser|"
    r"nutzen|benutzen|contact (me|us)|reach (me|us)|message (me|us)|text (me|us)|canal|channel|"
    r"kanal)\b")
_ADDRESS = re.compile(r"\b(address|direcci|adresse|endere|correo electr|e-?mail (address|adress))")


def _read_contact(reading, values, invoices, session, caller, today, requested, slots, _h):
    from bot.requests.contacts import find_phone

    text = values.text.strip()
    folded = fold(text)
    field_now = slots.get("preference_field")
    email, phone = find_email(text), None
    if re.search(r"\+\d|\d{3}[\s.-]?\d{3}[\s.-]?\d{4}", text):
        phone = find_phone(text)
    language = language_named_in(text)
    channel = next((name for name, pattern in _CHANNEL_WORDS.items()
                    if re.search(pattern, folded)), None)
    named = field_from_text(text)
    if named == "new_contact" and not _NEW_CONTACT.search(folded):
        named = None  # "the new one is ..." is a new value, not a new contact
    if requested == "preference_field" and text.isdigit():
        named = field_from_text(text)
    if named == "new_contact" or field_now == "new_contact":
        reading.values["preference_field"] = "new_contact"
        if email or phone:
            try:
                normalise_preference("new_contact", text)
                reading.values["preference_value"] = text
            except ContactInputError:
                reading.refusals.append(Refusal("preference_value", "new_contact_incomplete"))
        return
    wants_channel = channel and _CHANNEL_CUE.search(folded) and not _ADDRESS.search(folded)
    if email:
        reading.values.update(preference_field="email", preference_value=email)
    elif phone:
        reading.values.update(preference_field="phone", preference_value=phone)
    elif language and field_now in (None, "language") and (named in (None, "language")):
        reading.values.update(preference_field="language", preference_value=language)
    elif wants_channel and channel in CONTACT_CHANNELS and field_now in (None, "channel"):
        reading.values.update(preference_field="channel", preference_value=channel)
    elif named and (not field_now or requested == "preference_field"):
        reading.values["preference_field"] = named
    elif channel and field_now == "channel" and channel in CONTACT_CHANNELS:
        reading.values["preference_value"] = channel
    elif field_now and requested == "preference_value" and text:
        try:
            normalise_preference(field_now, text)
            reading.values["preference_value"] = text
        except ContactInputError as refused:
            reading.refusals.append(Refusal("preference_value", refused.code))


def split_verification_answer(session: Session, text: str) -> tuple[Optional[str], str]:
    """An account number and the rest of a verification answer, in either order
    ("NW-100 4471", "invoice 4471, account NW-100"): a word that is an account number on
    the ledger wins; otherwise the first word with a digit is taken for one."""
    from sqlalchemy import func, select

    words = re.findall(r"[\w#/.-]+", text or "")
    words = [w.strip(".") for w in words if any(ch.isdigit() for ch in w)]
    if not words:
        return None, ""
    known = set(session.scalars(select(func.upper(Customer.account_number)).where(
        func.upper(Customer.account_number).in_([w.upper() for w in words]))))
    account = next((w for w in words if w.upper() in known), words[0])
    rest = [w for w in words if w != account]
    return account, " ".join(rest)


_FORM_WORDS = {
    "payment_plan_form": r"payment plan|\bplan\b|instal?l?ments?|\bsplit\b|spread|\bparcel\w*|"
                         r"plan de pagos|cuotas|fraccionar|aplazar|echeancier|etaler|mensualit|"
                         r"ratenzahlung|\braten\b|ratenplan|teilzahlung|\d+\s?x\b|prestac",
    "dispute_form": r"disput|query on|contest|\bwrong\b|incorrect|overcharg|\bshort\b|damag|"
                    r"reclam|disputa|litige|reklam|beanstand|falsch|errad|equivocad|erron",
    "promise_form": r"promis|will pay|we'll pay|going to pay|payment date|pagaremos|vamos a pagar|"
                    r"paierons|allons payer|payerons|zahlungstermin|zahlungszusage|werden\b.*\bzahlen|"
                    r"zahlen (am|bis|nachst)|vamos pagar|promesa|promesse|promessa",
    "contact_preference_form": r"@|e-?mail|correo|courriel|whats ?app|\bsms\b|idioma|langue|"
                               r"sprache|lingua|telefon|phone|contact (me|us)",
}


_NOT_PAYING = re.compile(r"\b(no|not|won't|will not|cannot|can't|ne|nicht|nao|never|jamais|nunca)"
                         r"\s+(\w+\s+){0,2}(pay|pag|paier|paye|zahl|regl|quit)\w*")


def forms_named_in(text: str) -> list[str]:
    """The forms the words of text ask for ("won't pay it, it arrived broken" is a dispute)."""
    folded = _NOT_PAYING.sub(" ", fold(text))
    named = [name for name, words in _FORM_WORDS.items() if re.search(words, folded)]
    if reason_from_text(text) not in (None, "other") and "dispute_form" not in named:
        named.append("dispute_form")
    return named


def form_named_in(text: str, form: str) -> Optional[str]:
    """Another form the words of text clearly ask for, when none of them ask for `form`
    (the intent model misread "paymnt plan on 81234" as a dispute)."""
    named = forms_named_in(text)
    if form in named or len(named) != 1:
        return None
    return named[0]
