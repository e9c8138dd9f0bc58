"""Rasa's SQL tracker store, reading back only what is new. Rasa reads and decodes every
event of the session on every message, so turn 200 of a conversation cost three times turn
1 (README, "Speed"). Stored events never change, so each worker keeps the decoded events of
the conversations it served last (the Event objects: trackers read again share them, as a
tracker's replays share its own) and asks the database only for rows after them; a count
of the rows it holds catches an erasure from the console, which then reads afresh. Saving,
it knows how many of the tracker's events are stored already (Rasa counts them in the
database before every save): the tracker was read under the conversation's lock, and only
this worker wrote since. And the tracker it returns is its last replay of the session,
copied and brought up to date, instead of a replay of every event from the start."""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

CONVERSATIONS_KEPT = 2000


@dataclass
class _Session:
    """The stored rows of a conversation's latest session, decoded."""

    ids: list[int] = field(default_factory=list)
    events: list[Optional[Event]] = field(default_factory=list)  # None: a type Rasa skips
    known: list[Event] = field(default_factory=list)  # the events without the Nones
    timestamps: list[float] = field(default_factory=list)
    stored: int = 0  # events of the session in the database, read or saved since
    # The tracker the session's events were last replayed into (a copy nobody changes).
    replayed: Optional[DialogueStateTracker] = None

    def add(self, rows) -> None:
        for row in rows:
            if row.type_name == SessionStarted.type_name:
                self._keep_from(row.timestamp)  # as Rasa: the session's events only
            self.ids.append(row.id)
            event = Event.from_parameters(json.loads(row.data))
            self.events.append(event)
            if event is not None:
                self.known.append(event)
            self.timestamps.append(row.timestamp)
        self.stored = len(self.known)

    def decoded(self) -> list[Event]:
        """The session's events as Rasa reads them (it skips types it does not know); the
        list is kept: not to be changed."""
        return self.known

    def _keep_from(self, timestamp: float) -> None:
        kept = [i for i, stamp in enumerate(self.timestamps) if stamp >= timestamp]
        self.ids = [self.ids[i] for i in kept]
        self.events = [self.events[i] for i in kept]
        self.known = [event for event in self.events if event is not None]
        self.timestamps = [self.timestamps[i] for i in kept]


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """The columns Rasa's SQL tracker store writes for an event."""
    data = event.as_dict()
    return {"sender_id": sender_id, "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"), "data": json.dumps(data)}


class ARTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sessions: OrderedDict[str, _Session] = OrderedDict()

    def _additional_events(self, session, tracker: DialogueStateTracker):
        cached = self._sessions.get(tracker.sender_id)
        if cached is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, cached.stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        cached = self._sessions.get(tracker.sender_id)
        new = list(itertools.islice(tracker.events, cached.stored, None)) if cached else []
        await self._store_new_events(tracker)
        if cached is None:
            return
        if any(isinstance(event, SessionStarted) for event in new):
            self._sessions.pop(tracker.sender_id, None)  # a new session: read it afresh
        else:
            cached.stored = len(tracker.events)

    async def _store_new_events(self, tracker: DialogueStateTracker) -> None:
        """SQLTrackerStore.save of Rasa 3.6, its rows written in one INSERT of many
        (it made an ORM object of each and flushed them one by one: a third of a save)."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = [_row(tracker.sender_id, event)
                    for event in self._additional_events(session, tracker)]
            if rows:
                session.execute(sa.insert(self.SQLEvent.__table__), rows)
            session.commit()

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        events = self._session_events(sender_id)
        if not (self.domain and events):
            return None
        kept = self._sessions[sender_id]
        tracker = self._resumed(kept.replayed, events)
        if tracker is None:
            tracker = DialogueStateTracker.from_events(sender_id, events, self.domain.slots)
        tracker.applied_events()  # worked out once, then kept by the copies made from it
        kept.replayed = tracker.copy()
        kept.replayed.__dict__["_replayed_with"] = self.domain
        return tracker

    def _resumed(self, replayed: Optional[DialogueStateTracker], events: list[Event]
                 ) -> Optional[DialogueStateTracker]:
        """The last replay, copied and brought up to date with the events after it, when
        they extend it (the same Event objects: the session's list only grows, and a new
        session or an erasure starts a new one) under the same domain; else None. What a
        replay from the start would give (Rasa's from_events is these same updates), in
        time that does not grow with the session."""
        if replayed is None or replayed.__dict__.get("_replayed_with") is not self.domain:
            return None
        done = len(replayed.events)
        if not done or done > len(events) or replayed.events[0] is not events[0] \
                or replayed.events[-1] is not events[done - 1]:
            return None
        tracker = replayed.copy()
        for event in events[done:]:
            tracker.update(event)
        return tracker

    def _session_events(self, sender_id: str) -> list[Event]:
        table = self.SQLEvent.__table__
        columns = (table.c.id, table.c.timestamp, table.c.type_name, table.c.data)
        with self.session_scope() as session:
            cached = self._sessions.pop(sender_id, None)
            if cached and cached.ids and session.execute(
                    sa.select(sa.func.count()).where(
                        table.c.sender_id == sender_id,
                        table.c.id.between(cached.ids[0], cached.ids[-1]))
            ).scalar() != len(cached.ids):
                cached = None  # rows were erased: read the session afresh
            if cached is None:
                cached = _Session()
                rows = self._event_query(session, sender_id, False).with_entities(*columns)
            else:
                rows = session.execute(sa.select(*columns).where(
                    table.c.sender_id == sender_id, table.c.id > (cached.ids or [0])[-1]
                ).order_by(table.c.id))
            cached.add(rows)
        self._sessions[sender_id] = cached
        while len(self._sessions) > CONVERSATIONS_KEPT:
            self._sessions.popitem(last=False)
        return cached.decoded()


def fail_turns_when_the_store_fails() -> None:
    """A tracker store that cannot be read or written fails the turn (the channel keeps
    the message and answers it once the database is back) instead of Rasa's fallback:
    a new, empty conversation in memory, answered as a stranger and never stored."""

    async def retrieve(self, sender_id):
        return await self._tracker_store.retrieve(sender_id)

    async def retrieve_full_tracker(self, sender_id):
        return await self._tracker_store.retrieve_full_tracker(sender_id)

    async def save(self, tracker):
        await self._tracker_store.save(tracker)

    FailSafeTrackerStore.retrieve = retrieve
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker
    FailSafeTrackerStore.save = save
