"""Comparable keys of invoice numbers and payment references, whatever shape the ERP gave them."""

from __future__ import annotations

import re
import unicodedata

_NOT_ALPHANUMERIC = re.compile(r"[^A-Z0-9]")
_ZEROS_AFTER_LETTERS = re.compile(r"^([A-Z]*)0+(?=\d)")
_LEADING_LETTERS = re.compile(r"^[A-Z]+")


def identifier_key(text: str) -> str:
    """Case, accents, separators and the zeros that pad the number left out:
    "FAC-000123", "fac 123" and "Fac.0123" agree, as do "2026/0142" and "20260142"."""
    folded = unicodedata.normalize("NFKD", text or "").upper()
    return _ZEROS_AFTER_LETTERS.sub(r"\1", _NOT_ALPHANUMERIC.sub("", folded))


def number_part(key: str) -> str:
    """The key without its leading letters ("WIRE5520" -> "5520"): what a customer who
    leaves the prefix out writes. Empty when the key has no digits after its letters."""
    rest = _LEADING_LETTERS.sub("", key)
    rest = rest.lstrip("0") or ("0" if rest else "")
    return rest if rest[:1].isdigit() else ""
