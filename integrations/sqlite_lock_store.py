"""Rasa's conversation locks in an SQLite file, shared by every Rasa worker process on one
machine (the embedded default runs two, one per core). Each change of a lock is one write
transaction, so two processes never take the same ticket: the read-then-write race that
Rasa's Redis lock store has (rasa#9213) cannot happen here. Each ticket's holder process is
recorded with it (integrations/lock_holders.py): a ticket whose worker died mid-turn is
dropped as soon as it is read, so the conversation's next message is answered at once
instead of after Rasa's 60 s lock lifetime."""

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
from integrations import lock_holders
from integrations.lock_holders import Holder

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
            # A table of its own: a locks file made before holders were kept still works.
            connection.execute("CREATE TABLE IF NOT EXISTS lock_holders ("
                               "conversation_id TEXT NOT NULL, ticket INTEGER NOT NULL, "
                               "machine TEXT NOT NULL, pid INTEGER NOT NULL, "
                               "started INTEGER NOT NULL, "
                               "PRIMARY KEY (conversation_id, ticket))")
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
        """The lock without the tickets of holders known to be dead (the next save
        drops them for good)."""
        rows = self.connection.execute(
            "SELECT l.lock, h.ticket, h.machine, h.pid, h.started FROM conversation_locks l "
            "LEFT JOIN lock_holders h ON h.conversation_id = l.conversation_id "
            "WHERE l.conversation_id = ?", (conversation_id,)).fetchall()
        if not rows:
            return None
        lock = TicketLock.from_dict(json.loads(rows[0][0]))
        holders = {ticket: Holder(*holder) for _, ticket, *holder in rows if ticket is not None}
        # A ticket without a holder on file (a file from before) lasts its lifetime.
        for ticket in [t for t in lock.tickets
                       if t.number in holders and not lock_holders.alive(holders[t.number])]:
            lock.tickets.remove(ticket)
        return lock

    def save_lock(self, lock: TicketLock) -> None:
        self.connection.execute(
            "INSERT INTO conversation_locks (conversation_id, lock) VALUES (?, ?) "
            "ON CONFLICT (conversation_id) DO UPDATE SET lock = excluded.lock",
            (lock.conversation_id, lock.dumps()))

    def delete_lock(self, conversation_id: str) -> None:
        self.connection.execute("DELETE FROM conversation_locks WHERE conversation_id = ?",
                                (conversation_id,))
        self.connection.execute("DELETE FROM lock_holders WHERE conversation_id = ?",
                                (conversation_id,))

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            with self._transaction():
                ticket = super().issue_ticket(conversation_id, lock_lifetime)
                # A number a finished or dead ticket had is given again: its row replaced.
                self.connection.execute(
                    "INSERT OR REPLACE INTO lock_holders (conversation_id, ticket, machine, "
                    "pid, started) VALUES (?, ?, ?, ?, ?)",
                    (conversation_id, ticket, *lock_holders.this_process()))
                return ticket
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
