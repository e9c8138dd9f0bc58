"""Rasa's conversation locks in an SQLite file, shared by every Rasa worker process on one
machine (the embedded default runs two, one per core). Each change of a lock is one write
transaction, so two processes never take the same ticket: the read-then-write race that
Rasa's Redis lock store has (rasa#9213) cannot happen here."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import asynccontextmanager, contextmanager
from typing import AsyncGenerator, Iterator, Optional

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url

from bot.db import tune_sqlite_connection

# Rasa waits a second between tries for a busy conversation; a customer's second message
# sent right after the first would wait that long for nothing.
WAIT_SECONDS = 0.02


class SQLiteLockStore(LockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None,
                 path: Optional[str] = None) -> None:
        self.path = path or make_url(endpoint_config.url).database
        self._connection: Optional[sqlite3.Connection] = None
        self._pid = 0

    @property
    def connection(self) -> sqlite3.Connection:
        """One connection per process (Sanic forks its workers after this is made)."""
        if self._connection is None or self._pid != os.getpid():
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=15, isolation_level=None,
                                         check_same_thread=False)
            tune_sqlite_connection(connection)
            connection.execute("CREATE TABLE IF NOT EXISTS conversation_locks ("
                               "conversation_id TEXT PRIMARY KEY, lock TEXT NOT NULL)")
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A write transaction, or the one already open (cleanup calls finish_serving)."""
        connection = self.connection
        if connection.in_transaction:
            yield
            return
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        row = self.connection.execute(
            "SELECT lock FROM conversation_locks WHERE conversation_id = ?",
            (conversation_id,)).fetchone()
        return TicketLock.from_dict(json.loads(row[0])) if row else None

    def save_lock(self, lock: TicketLock) -> None:
        self.connection.execute(
            "INSERT INTO conversation_locks (conversation_id, lock) VALUES (?, ?) "
            "ON CONFLICT (conversation_id) DO UPDATE SET lock = excluded.lock",
            (lock.conversation_id, lock.dumps()))

    def delete_lock(self, conversation_id: str) -> None:
        self.connection.execute("DELETE FROM conversation_locks WHERE conversation_id = ?",
                                (conversation_id,))

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            with self._transaction():
                return super().issue_ticket(conversation_id, lock_lifetime)
        except sqlite3.Error as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        with self._transaction():
            super().update_lock(conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        with self._transaction():
            super().finish_serving(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._transaction():
            super().cleanup(conversation_id, ticket_number)

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = WAIT_SECONDS) -> AsyncGenerator[TicketLock, None]:
        async with super().lock(conversation_id, lock_lifetime,
                                wait_time_in_seconds) as lock:
            yield lock
