"""Contact preferences: channel, email, phone, language, and new AP contacts."""

from __future__ import annotations

import re
from typing import Optional

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation.identity import Caller
from bot.languages import SUPPORTED_LANGUAGES, language_named_in
from bot.ledger.audit import record
from bot.ledger.models import CONTACT_CHANNELS, Contact, ContactChange
from bot.ledger.references import new_reference

PREFERENCE_FIELDS = ("channel", "email", "phone", "language", "new_contact")
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


_FIELD_WORDS = {
    "new_contact": r"new|add|another|colleague|nuev|agregar|añadir|nouveau|ajout|neu|hinzu|nov[oa]|adicionar",
    "email": r"e-?mail|correo|courriel|mail",
    "phone": r"phone|number|mobile|cell|tel[eé]fono|t[eé]l[eé]phone|telefon|handy|telefone|celular",
    "language": r"lang|idioma|langue|sprache|l[íi]ngua",
    "channel": r"channel|sms|text|whatsapp|slack|call|canal|kanal|contact me|reach",
}


def field_from_text(text: str) -> Optional[str]:
    """Which preference the customer wants to change, by number (1-5) or in words."""
    text = (text or "").strip().lower()
    numbered = ("channel", "email", "phone", "language", "new_contact")
    if text.isdigit() and 1 <= int(text) <= len(numbered):
        return numbered[int(text) - 1]
    for field, pattern in _FIELD_WORDS.items():
        if re.search(pattern, text):
            return field
    return None


class ContactInputError(ValueError):
    def __init__(self, code: str, **details):
        self.code, self.details = code, details
        super().__init__(code)


def find_email(text: str) -> Optional[str]:
    match = _EMAIL.search(text or "")
    return match.group(0).lower() if match else None


def find_phone(text: str, region: Optional[str] = None) -> Optional[str]:
    for match in phonenumbers.PhoneNumberMatcher(text or "", region or "US"):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def normalise_preference(field: str, value: str) -> str:
    """The value in stored form, or ContactInputError saying what is wrong with it."""
    value = (value or "").strip()
    if field == "channel":
        if value.lower() not in CONTACT_CHANNELS:
            raise ContactInputError("unknown_channel")
        return value.lower()
    if field == "language":
        language = language_named_in(value)
        if language not in SUPPORTED_LANGUAGES:
            raise ContactInputError("unknown_language")
        return language
    if field == "email":
        email = find_email(value)
        if not email:
            raise ContactInputError("invalid_email")
        return email
    if field == "phone":
        phone = find_phone(value)
        if not phone:
            raise ContactInputError("invalid_phone")
        return phone
    if field == "new_contact":
        email, phone = find_email(value), find_phone(value)
        name = _EMAIL.sub("", value)
        name = re.sub(r"[+\d()\-.,;:]+", " ", name).strip()
        if not name or not (email or phone):
            raise ContactInputError("new_contact_incomplete")
        return f"{name}|{email or ''}|{phone or ''}"
    raise ContactInputError("unknown_field")


def _refuse_email_on_file(session: Session, caller: Caller, field: str, new_value: str) -> None:
    email = new_value.split("|")[1] if field == "new_contact" else new_value
    if field not in ("email", "new_contact") or not email:
        return
    on_file = session.scalars(select(Contact).where(Contact.customer_id == caller.customer_id,
                                                    Contact.email == email)).first()
    if on_file is not None and on_file.id != caller.contact_id:
        raise ContactInputError("email_on_file")


def update_contact_preference(session: Session, caller: Caller, field: str, value: str
                              ) -> ContactChange:
    """Apply a change to the caller's own contact at once; a new contact, or any change
    from a caller who proved only the account (web chat), waits for AR to confirm."""
    if field not in PREFERENCE_FIELDS:
        raise ContactInputError("unknown_field")
    new_value = normalise_preference(field, value)
    contact = session.get(Contact, caller.contact_id) if caller.contact_id else None
    pending = field == "new_contact" or contact is None
    if field == "new_contact" or not pending:
        # Only changes that write a contact row now can collide with an address on file.
        _refuse_email_on_file(session, caller, field, new_value)
    old_value = None if field == "new_contact" or contact is None else getattr(
        contact, "preferred_channel" if field == "channel" else field)
    change = ContactChange(reference=new_reference("CHG"), customer_id=caller.customer_id,
                           contact_id=caller.contact_id, field=field, old_value=old_value,
                           new_value=new_value,
                           status="pending_confirmation" if pending else "applied")
    if field == "new_contact":
        name, email, phone = new_value.split("|")
        session.add(Contact(customer_id=caller.customer_id, name=name, email=email or None,
                            phone=phone or None, status="pending"))
    elif not pending:
        setattr(contact, "preferred_channel" if field == "channel" else field, new_value)
    session.add(change)
    session.flush()
    record(session, actor=caller.actor, action=f"contact_{field}_change", entity="contact_change",
           entity_id=change.id, details={"reference": change.reference, "status": change.status,
                                         "old": old_value, "new": new_value})
    return change
