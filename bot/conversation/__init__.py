"""Who is talking and what they write: identity, parsing amounts/dates/numbers, locale formatting, language detection."""
