"""Structured logs: one JSON object per line (or a readable line), personal data redacted.

Every process we start calls `configure(process, ...)` once its framework has set up its
own logging; from then on every record, whoever logs it (Rasa, Sanic, our code, a
warning), goes through one handler that writes time, level, process, logger, the hashed
conversation id of the turn being handled, and the message with phone numbers, email
addresses, IBANs, tokens and secrets, and the texts and names of the current turn removed.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import logging
import re
import sys
import time
import traceback
from contextlib import contextmanager
from typing import Iterable, Iterator, Optional, TextIO

from sqlalchemy.engine import make_url

from bot.settings import Settings

FORMATS = ("json", "text")
# Attributes every LogRecord has; anything else passed as `extra=` is an event field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

# Order matters: credentials in URLs before emails (user:pass@host looks like one).
_PATTERNS = [
    (re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+@"), "[credentials]@"),
    (re.compile(r"(?i)((?:token|secret|password|signature|auth)[\w-]*[\"']?\s*[=:]\s*[\"']?)"
                r"[^\s\"'&,;]+"), r"\1[secret]"),
    (re.compile(r"(?i)\bbearer\s+[\w.~+/=-]+"), "Bearer [secret]"),
    (re.compile(r"\bxox[a-z]-[\w-]+|\bxapp-[\w-]+"), "[secret]"),
    (re.compile(r"\b(?:AC|SK)[0-9a-f]{32}\b"), "[secret]"),
    (re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "[email]"),
    (re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"), "[iban]"),
    (re.compile(r"(?:whatsapp:)?\+\d[\d ().-]{6,}\d"), "[phone]"),
    (re.compile(r"(?<![\d.:/-])\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}(?![\d.])"), "[phone]"),
]
MIN_KNOWN_LENGTH = 3  # shorter known strings ("ok", "2") would blank out parts of words

# The turn being handled: its conversation, and the personal strings known in it (the
# message text, the names on file). Context variables, so concurrent turns keep apart.
_conversation: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar(
    "ar_log_conversation", default=None)
_known: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "ar_log_known", default=())
_in_turn: contextvars.ContextVar[bool] = contextvars.ContextVar("ar_log_in_turn", default=False)


class Redactor:
    """Removes personal data and secrets from a text."""

    def __init__(self, secrets: Iterable[str] = ()):
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[secret]")
        for known in sorted(_known.get(), key=len, reverse=True):
            text = text.replace(known, "[personal]")
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


def conversation_key(conversation_id: str, key: str) -> str:
    """A conversation id as logs show it: the same id gives the same value, but a sender's
    phone number or email cannot be recovered from it (keyed hash, not a plain one)."""
    return hmac.new(key.encode(), conversation_id.encode(), hashlib.sha256).hexdigest()[:16]


@contextmanager
def turn(conversation_id: Optional[str], *known: Optional[str]) -> Iterator[None]:
    """Inside this block every log line names the conversation (hashed) and none shows
    the given personal strings (the message text, names)."""
    tokens = [_conversation.set(conversation_id), _in_turn.set(True)]
    tokens.append(_known.set(_known.get() + tuple(
        k.strip() for k in known if k and len(k.strip()) >= MIN_KNOWN_LENGTH)))
    try:
        yield
    finally:
        _known.reset(tokens[2])
        _in_turn.reset(tokens[1])
        _conversation.reset(tokens[0])


def begin(conversation_id: Optional[str], *known: Optional[str]) -> None:
    """Like `turn`, for a server that handles a request in a context it cannot wrap (a
    request middleware): from here on, until the next `begin`."""
    _conversation.set(conversation_id)
    _in_turn.set(True)
    _known.set(tuple(k.strip() for k in known if k and len(k.strip()) >= MIN_KNOWN_LENGTH))


def remember(*known: Optional[str]) -> None:
    """Add personal strings (e.g. a name found during the turn) to the current turn's;
    outside a turn nothing is kept (it would stay for the rest of the process)."""
    if not _in_turn.get():
        return
    _known.set(_known.get() + tuple(k.strip() for k in known
                                    if k and len(k.strip()) >= MIN_KNOWN_LENGTH))


class Formatter(logging.Formatter):
    def __init__(self, process: str, fmt: str, redact: Redactor, key: str):
        super().__init__()
        if fmt not in FORMATS:
            raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {fmt!r}")
        self.process, self.fmt, self.redact, self.key = process, fmt, redact, key

    def fields(self, record: logging.LogRecord) -> dict:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                    + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "process": self.process,
            "logger": record.name,
        }
        conversation = getattr(record, "conversation_id", None) or _conversation.get()
        if conversation:
            entry["conversation"] = conversation_key(conversation, self.key)
        entry["message"] = self.redact(record.getMessage())
        for name, value in vars(record).items():
            if name not in _STANDARD and name != "conversation_id" and not name.startswith("_"):
                entry[name] = self.redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = self.redact("".join(traceback.format_exception(*record.exc_info)))
        return entry

    def format(self, record: logging.LogRecord) -> str:
        entry = self.fields(record)
        if self.fmt == "json":
            return json.dumps(entry, ensure_ascii=False, default=str)
        head = f"{entry.pop('time')} {entry.pop('level').upper():7} {entry.pop('process')} " \
               f"{entry.pop('logger')}"
        message, exception = entry.pop("message"), entry.pop("exception", None)
        extra = " ".join(f"{k}={v}" for k, v in entry.items())
        return f"{head}: {message}" + (f"  [{extra}]" if extra else "") + \
            (f"\n{exception}" if exception else "")


# Libraries that log each request they make at INFO: the Twilio SDK writes thirteen lines
# per message sent (its headers among them), a third of a busy server's log lines and
# their formatting time. Their warnings and errors still show.
QUIETED = {"twilio.http_client": logging.WARNING, "twilio.async_http_client": logging.WARNING}


def configure(process: str, fmt: str, secrets: Iterable[str], key: str,
              level: int = logging.INFO, stream: TextIO = sys.stdout) -> logging.Handler:
    """Route every logger of this process through one redacting handler on `stream`.

    Call it after the framework configured its logging: handlers that Rasa, Sanic or
    coloredlogs put on their loggers are removed, so each record is written once, by us."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(Formatter(process, fmt, Redactor(secrets), key))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            for existing in list(logger.handlers):
                logger.removeHandler(existing)
            logger.propagate = True
    for name, quieted_to in QUIETED.items():
        logging.getLogger(name).setLevel(quieted_to)
    logging.captureWarnings(True)
    return handler


def secrets_of(settings: Settings) -> list[str]:
    """Every secret of the settings, which no log line may show."""
    found = [settings.rasa_auth_token, settings.twilio_auth_token, settings.slack_bot_token,
             settings.slack_signing_secret, settings.slack_app_token, settings.webchat_secret,
             settings.documents.link_secret, settings.documents.smtp_password]
    for url in (settings.ar_database_url, settings.tracker_store_url):
        password = make_url(url).password
        if password:
            found.append(str(password))
    return [s for s in found if s]


def configure_process(process: str, settings: Settings, level: int = logging.INFO) -> None:
    """This process's logs as LOG_FORMAT says, with the settings' secrets redacted and
    conversation ids hashed under the API token (shared by every process we start)."""
    configure(process, settings.log_format, secrets_of(settings),
              key=settings.rasa_auth_token or process, level=level)
