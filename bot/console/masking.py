"""Phone numbers, emails and bank details hidden from roles that may not see them."""

from __future__ import annotations

import re

EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
PHONE = re.compile(r"(?<![\w+])\+\d[\d ().-]{6,}\d")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
# Bank account and routing numbers: runs of 8 or more digits (invoice numbers such as
# INV-2026-0142 and amounts have separators and never match).
LONG_DIGITS = re.compile(r"(?<![\w-])\d{8,}(?![\w-])")
HIDDEN = "•"


def _keep_last(text: str, keep: int) -> str:
    digits = [i for i, ch in enumerate(text) if ch.isalnum()]
    hide = set(digits[:-keep] if keep else digits)
    return "".join(HIDDEN if i in hide else ch for i, ch in enumerate(text))


def mask_contact_details(text: str) -> str:
    text = EMAIL.sub(lambda m: f"{m.group(1)}{HIDDEN * 3}@{m.group(2)}", text)
    text = IBAN.sub(lambda m: _keep_last(m.group(0), 4), text)
    text = PHONE.sub(lambda m: _keep_last(m.group(0), 2), text)
    return LONG_DIGITS.sub(lambda m: _keep_last(m.group(0), 2), text)


def shown(text: str, may_see: bool) -> str:
    return text if may_see or not text else mask_contact_details(text)
