"""The languages the assistant speaks, their names, and their locales for money and dates."""

from __future__ import annotations

SUPPORTED_LANGUAGES = ("en", "es", "fr", "de", "pt")
DEFAULT_LANGUAGE = "en"

LOCALES = {"en": "en_US", "es": "es_ES", "fr": "fr_FR", "de": "de_DE", "pt": "pt_BR"}

# How customers name each language, in the five languages (accents folded, lower case).
LANGUAGE_NAMES = {
    "en": ("english", "ingles", "anglais", "englisch"),
    "es": ("spanish", "espanol", "castellano", "espagnol", "spanisch", "espanhol"),
    "fr": ("french", "frances", "francais", "franzosisch", "franzoesisch"),
    "de": ("german", "aleman", "allemand", "deutsch", "alemao"),
    "pt": ("portuguese", "portugues", "portugais", "portugiesisch"),
}


def language_named_in(text: str) -> str | None:
    """The language a customer names ("en español", "auf Deutsch bitte", "pt"), if one."""
    import re
    import unicodedata

    if (text or "").strip().lower() in SUPPORTED_LANGUAGES:
        return text.strip().lower()
    folded = unicodedata.normalize("NFKD", (text or "").lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    words = set(re.findall(r"[a-z]+(?:-[a-z]+)?", folded))
    found = {code for code, names in LANGUAGE_NAMES.items() if words & set(names)}
    return found.pop() if len(found) == 1 else None
