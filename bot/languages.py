"""The languages the assistant speaks, and their locales for money and dates."""

SUPPORTED_LANGUAGES = ("en", "es", "fr", "de", "pt")
DEFAULT_LANGUAGE = "en"

LOCALES = {"en": "en_US", "es": "es_ES", "fr": "fr_FR", "de": "de_DE", "pt": "pt_BR"}
