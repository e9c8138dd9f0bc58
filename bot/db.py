"""Database engine and sessions for the AR ledger (its schema lives in bot.ledger.schema)."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

JOURNAL_MODE_TRIES = 8  # about 1.4 s of waiting in all


def tune_sqlite_connection(dbapi_connection, _record=None) -> None:
    """Write-ahead logging, synced at checkpoints rather than at every commit: a commit was
    one fsync, a tenth of a turn's time (README, "Speed"). A crash of the process loses
    nothing; a power cut can lose the last commits, never the file. Foreign keys on."""
    cursor = dbapi_connection.cursor()
    for attempt in range(JOURNAL_MODE_TRIES):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            # "database is locked" without the busy timeout's wait, as when processes
            # open the file at once while its log is recovered (seen once in a benchmark
            # start, failing a customer's first message).
            if attempt == JOURNAL_MODE_TRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Connections are kept (SQLAlchemy 1.4 opens and closes one per session on a file
        # database), so each session skips the connect, the pragmas and a WAL checkpoint.
        engine = create_engine(
            url, future=True, poolclass=QueuePool,
            connect_args={"check_same_thread": False, "timeout": 15}
        )
        event.listen(engine, "connect", tune_sqlite_connection)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


class Database:
    """One ledger database: hands out sessions that commit or roll back as a unit."""

    def __init__(self, url: str):
        self.url = url
        self.engine = engine_for(url)
        self._sessions = sessionmaker(self.engine, future=True, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
