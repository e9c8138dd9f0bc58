"""SQLite connections of the ledger and the tracker store (bot/db.py
tune_sqlite_connection)."""

from __future__ import annotations

import sqlite3

from bot import db as ledger_db


class _BusyOnce:
    """A connection whose first journal-mode question is answered "database is locked"."""

    def __init__(self):
        self.statements, self.busy = [], 1

    def cursor(self):
        return self

    def execute(self, statement):
        if statement.startswith("PRAGMA journal_mode") and self.busy:
            self.busy -= 1
            raise sqlite3.OperationalError("database is locked")
        self.statements.append(statement)
        return self

    def fetchone(self):
        return ("delete",)

    def close(self):
        pass


def test_a_connection_opened_while_the_file_is_busy_is_still_tuned():
    connection = _BusyOnce()
    ledger_db.tune_sqlite_connection(connection)
    assert connection.statements == ["PRAGMA journal_mode", "PRAGMA journal_mode=WAL",
                                     "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"]
