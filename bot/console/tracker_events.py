"""The tracker store's `events` table as Rasa 3.6's SQLTrackerStore writes it, read with
SQLAlchemy alone: one row per event, its JSON in `data`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Optional

from sqlalchemy import (Column, Float, Integer, MetaData, String, Table, Text, delete, func,
                        select)
from sqlalchemy.engine import Engine

metadata = MetaData()
# The columns of rasa.core.tracker_store.SQLTrackerStore.SQLEvent (Rasa 3.6).
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


@dataclass(frozen=True)
class TrackerEvent:
    id: int
    sender_id: str
    type_name: str  # user | bot | action | slot | session_started | ...
    at: datetime
    data: dict[str, Any]

    @property
    def metadata(self) -> dict[str, Any]:
        value = self.data.get("metadata")
        return value if isinstance(value, dict) else {}


def _event(row) -> TrackerEvent:
    try:
        data = json.loads(row.data or "{}")
    except ValueError:  # a row another writer broke is shown as nothing, not a crash
        data = {}
    at = datetime.fromtimestamp(row.timestamp or 0, tz=timezone.utc)
    return TrackerEvent(row.id, row.sender_id, row.type_name, at,
                        data if isinstance(data, dict) else {})


def ensure_table(engine: Engine) -> None:
    """Create the events table where Rasa has not yet (a fresh install, tests): the
    same columns Rasa creates, so Rasa later writes into it."""
    metadata.create_all(engine, tables=[events])


def senders_with_events_after(engine: Engine, event_id: int, limit: int
                              ) -> tuple[list[str], int]:
    """The conversations that have events newer than event_id, and the newest id seen."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(events.c.id, events.c.sender_id).where(events.c.id > event_id)
            .order_by(events.c.id).limit(limit)).all()
    newest = rows[-1].id if rows else event_id
    return sorted({row.sender_id for row in rows}), newest


def conversation_events(engine: Engine, sender_id: str) -> list[TrackerEvent]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(events).where(events.c.sender_id == sender_id).order_by(events.c.id)).all()
    return [_event(row) for row in rows]


def delete_conversations(engine: Engine, sender_ids: Iterable[str]) -> int:
    sender_ids = list(sender_ids)
    if not sender_ids:
        return 0
    with engine.begin() as connection:
        return connection.execute(delete(events).where(events.c.sender_id.in_(sender_ids))).rowcount


def senders_last_active_before(engine: Engine, cutoff: datetime) -> list[str]:
    """Conversations whose newest event is older than cutoff."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(events.c.sender_id).group_by(events.c.sender_id)
            .having(func.max(events.c.timestamp) < cutoff.timestamp())).all()
    return [row.sender_id for row in rows]


def first_value(mapping: dict[str, Any], keys: tuple[str, ...]) -> Optional[Any]:
    for key in keys:
        if mapping.get(key):
            return mapping[key]
    return None
