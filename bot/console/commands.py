"""`python -m bot console ...`: serve the console, add a user, purge old transcripts."""

from __future__ import annotations

import getpass
import logging
import sys

from bot import clock
from bot.console.auth import UserError, create_user
from bot.console.indexer import TranscriptIndex
from bot.console.retention import purge
from bot.db import Database
from bot.ledger.schema import migrate
from bot.observability import logs
from bot.settings import Settings


def console_url(settings: Settings) -> str:
    return settings.console_public_url.rstrip("/") + "/"


def _password(stdin_is_tty: bool) -> str:
    """From a prompt (twice) on a terminal, else the first line of stdin; never argv."""
    if stdin_is_tty:
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise UserError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def add_user(settings: Settings, username: str, role: str) -> int:
    database = Database(settings.ar_database_url)
    migrate(database)
    try:
        password = _password(sys.stdin.isatty())
        with database.session() as session:
            create_user(session, username, role, password)
    except UserError as error:
        print(f"No user added: {error}", file=sys.stderr)
        return 1
    print(f"Added {username} ({role}). Log in at {console_url(settings)}")
    return 0


def purge_transcripts(settings: Settings) -> int:
    database = Database(settings.ar_database_url)
    migrate(database)
    index = TranscriptIndex(database, settings.tracker_store_url, settings.console_low_confidence)
    count = purge(index, clock.now(), settings.transcript_retention_days)
    print(f"Deleted {count} conversations with no message in the last "
          f"{settings.transcript_retention_days} days (TRANSCRIPT_RETENTION_DAYS).")
    return 0


def build_index(settings: Settings) -> int:
    database = Database(settings.ar_database_url)
    migrate(database)
    index = TranscriptIndex(database, settings.tracker_store_url, settings.console_low_confidence)
    print(f"Indexed {index.refresh()} conversations with new events.")
    return 0


def serve(settings: Settings) -> int:
    from bot.console.web import create_app

    migrate(Database(settings.ar_database_url))
    app = create_app(settings)
    logs.configure_process("console", settings)  # after sanic set up its loggers
    logging.getLogger(__name__).info("Console at %s", console_url(settings))
    app.run(host=settings.console_interface, port=settings.console_port, workers=1,
            access_log=False)
    return 0
