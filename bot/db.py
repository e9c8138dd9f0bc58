"""Database engine and sessions for the AR ledger (its schema lives in bot.ledger.schema),
and on SQLite its writers in turns."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

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


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
_KEY = "writer_turn"


class WriterTurn:
    """A connection's hold on the file's writer lock (its own open file: flock locks
    conflict between open files, also of one process)."""

    def __init__(self, path: str, writing: set[int]):
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._writing = writing  # the threads holding the file's lock, in this process
        self._holder = None

    @property
    def held(self) -> bool:
        return self._holder is not None

    def take(self) -> None:
        thread = threading.get_ident()
        if self.held or thread in self._writing:
            return
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._holder = thread
        self._writing.add(thread)

    def give_up(self) -> None:
        if self._holder is not None:
            self._writing.discard(self._holder)
            self._holder = None
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.give_up()
        os.close(self._fd)


def _info(connection: Any) -> dict:
    return getattr(connection, "info", None) or {}


def _then_give_up(step: Callable[[Any], None]) -> Callable[[Any], None]:
    def run(dbapi_connection: Any) -> None:
        try:
            step(dbapi_connection)
        finally:
            turn = _info(dbapi_connection).get(_KEY)
            if turn is not None:
                turn.give_up()

    return run


def one_writer_at_a_time(engine: Engine, database: str) -> None:
    """Transactions of engine, on the SQLite file database, write in turns, across the
    threads and processes of one machine, the next let in the moment the last is done.

    SQLite lets one transaction write at a time; the others wait in its busy handler,
    which sleeps between tries (1, 2, 5, ... then 100 ms), so a waiter sleeps through the
    moment the lock is free while later ones overtake it. At 50 conversations a first
    write waited p90 200 ms and p99 1 s for a lock held p99 25 ms, and Twilio's and
    Slack's acknowledgements waited with it (README, "Speed"). Here a transaction takes an
    exclusive flock on a file beside the database before its first write and gives it up
    at its commit or rollback; the kernel wakes a waiter the moment it is released.

    Other programs on the file (the sqlite3 shell) wait in SQLite's busy handler as
    before. A thread already writing on one connection that writes on a second (it would
    wait for itself) skips the flock there and meets SQLite's busy timeout, as before."""
    path = database + "-writer.lock"
    writing: set[int] = set()

    @event.listens_for(engine, "connect")
    def open_turn(_dbapi_connection: Any, record: Any) -> None:
        record.info[_KEY] = WriterTurn(path, writing)

    @event.listens_for(engine, "close")
    def close_turn(_dbapi_connection: Any, record: Any) -> None:
        turn = record.info.pop(_KEY, None)
        if turn is not None:
            turn.close()

    @event.listens_for(engine, "before_cursor_execute")
    def before_writing(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip()[:7].upper().startswith(_WRITES):
            turn = connection.info.get(_KEY)
            if turn is not None:
                turn.take()

    # Every end of a transaction passes here: a commit, a rollback, the pool's rollback
    # of a connection returned without one. An invalidated connection is closed (above).
    dialect = engine.dialect
    dialect.do_commit = _then_give_up(dialect.do_commit)
    dialect.do_rollback = _then_give_up(dialect.do_rollback)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        on_file = bool(parsed.database) and parsed.database != ":memory:"
        if on_file:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Connections are kept (SQLAlchemy 1.4 opens and closes one per session on a file
        # database), so each session skips the connect, the pragmas and a WAL checkpoint.
        engine = create_engine(
            url, future=True, poolclass=QueuePool,
            connect_args={"check_same_thread": False, "timeout": 15}
        )
        event.listen(engine, "connect", tune_sqlite_connection)
        if on_file:
            one_writer_at_a_time(engine, parsed.database)
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
