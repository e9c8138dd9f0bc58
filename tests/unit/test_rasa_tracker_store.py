"""The tracker store that reads back only new rows gives the tracker Rasa's own store gives,
after new turns, after a new session and after the console erased the conversation."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, SessionStarted, SlotSet,
                                     UserUttered, UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.settings import PROJECT_ROOT
from integrations import rasa_states
from integrations.rasa_tracker_store import ARTrackerStore


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def stores(tmp_path, domain):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    return ARTrackerStore(domain=domain, host=url), SQLTrackerStore(domain=domain, host=url)


def turn(text: str, at: float):
    return [UserUttered(text, {"name": "greet", "confidence": 1.0}, timestamp=at),
            ActionExecuted("action_greet", timestamp=at + 0.1),
            SlotSet("language", "en", timestamp=at + 0.2),
            ActionExecuted("action_listen", timestamp=at + 0.3)]


def events_of(tracker):
    return [e.as_dict() for e in tracker.events] if tracker else None


def test_new_turns_erasure_and_new_sessions_read_as_rasa_reads_them(stores, domain):
    ours, rasas = stores

    async def scenario():
        tracker = DialogueStateTracker.from_events("c1", turn("hi", 1.0), domain.slots)
        await ours.save(tracker)
        assert events_of(await ours.retrieve("c1")) == events_of(await rasas.retrieve("c1"))
        for n in range(2, 6):  # more turns: only the new rows are read
            tracker = await ours.retrieve("c1")
            for event in turn(f"message {n}", float(n)):
                tracker.update(event)
            await ours.save(tracker)
            assert events_of(await ours.retrieve("c1")) == events_of(await rasas.retrieve("c1"))
        tracker = await ours.retrieve("c1")  # a new session starts
        for event in [ActionExecuted("action_session_start", timestamp=10.0),
                      SessionStarted(timestamp=10.1), *turn("back again", 11.0)]:
            tracker.update(event)
        await ours.save(tracker)
        mine = events_of(await ours.retrieve("c1"))
        assert mine == events_of(await rasas.retrieve("c1"))
        assert [e.get("text") for e in mine if e["event"] == "user"] == ["back again"]
        with ours.engine.begin() as connection:  # the console erases the conversation
            connection.execute(sa.text("DELETE FROM events WHERE sender_id = 'c1'"))
        assert await ours.retrieve("c1") is None
        assert await ours.retrieve("nobody") is None

    asyncio.run(scenario())


def test_two_workers_taking_turns_in_one_conversation_store_each_event_once(tmp_path, domain):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    workers = [ARTrackerStore(domain=domain, host=url), ARTrackerStore(domain=domain, host=url)]
    rasas = SQLTrackerStore(domain=domain, host=url)

    async def scenario():
        await workers[0].save(DialogueStateTracker.from_events("c1", turn("hi", 1.0),
                                                               domain.slots))
        for n in range(2, 9):  # each turn on the other worker, each read under the lock
            worker = workers[n % 2]
            tracker = await worker.retrieve("c1")
            for event in turn(f"message {n}", float(n)):
                tracker.update(event)
            await worker.save(tracker)
            await worker.save(tracker)  # Rasa saves twice in some turns: nothing doubled
            assert events_of(await rasas.retrieve("c1")) == events_of(tracker)
        texts = [e.get("text") for e in events_of(await rasas.retrieve("c1"))
                 if e["event"] == "user"]
        assert texts == ["hi"] + [f"message {n}" for n in range(2, 9)]

    asyncio.run(scenario())


def what_a_tracker_is(tracker) -> dict:
    return {"state": tracker.current_state(EventVerbosity.ALL),
            "slots": {n: (s.value, s.has_been_set) for n, s in tracker.slots.items()},
            "paused": tracker.is_paused(), "followup": tracker.followup_action,
            "loop": tracker.active_loop, "applied": tracker.applied_events()}


def test_each_read_is_the_last_replay_brought_up_to_date_as_a_replay_from_the_start(
        stores, domain, monkeypatch):
    monkeypatch.setattr(DialogueStateTracker, "copy", rasa_states._copy_without_replay())
    ours, rasas = stores
    def extra(n: int) -> list:
        at = n + 0.5
        return [[ActiveLoop("payment_plan_form", timestamp=at),
                 SlotSet("requested_slot", "plan_amount", timestamp=at)],
                [UserUtteranceReverted(timestamp=at)],
                [ActiveLoop(None, timestamp=at), SlotSet("requested_slot", None, timestamp=at)],
                [ActionExecuted("action_session_start", timestamp=at),
                 SessionStarted(timestamp=at)], [], []][n % 6]

    async def scenario():
        await ours.save(DialogueStateTracker.from_events("c1", turn("hi", 1.0), domain.slots))
        for n in range(2, 26):
            tracker = await ours.retrieve("c1")
            assert what_a_tracker_is(tracker) == what_a_tracker_is(await rasas.retrieve("c1"))
            for event in turn(f"message {n}", float(n)) + extra(n):
                tracker.update(event)
            await ours.save(tracker)
            tracker.update(SlotSet("language", "changed after the save", timestamp=n + 0.9))
        last = await ours.retrieve("c1")
        assert what_a_tracker_is(last) == what_a_tracker_is(await rasas.retrieve("c1"))
        assert last.get_slot("language") == "en"

    asyncio.run(scenario())


def test_saved_rows_are_the_rows_rasa_writes(tmp_path, domain):
    """One INSERT of many rows, with every column as Rasa's own save writes it."""
    ours = ARTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'ours.db'}")
    rasas = SQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'rasa.db'}")
    tracker = DialogueStateTracker.from_events(
        "c1", turn("hi", 1.0) + turn("what do we owe?", 2.0), domain.slots)

    def rows(store):
        table = store.SQLEvent.__table__
        with store.session_scope() as session:
            return [tuple(row) for row in session.execute(
                sa.select(*(c for c in table.c if c.name != "id")).order_by(table.c.id))]

    async def scenario():
        for store in (ours, rasas):
            await store.save(tracker)
            tracker.update(UserUttered("thanks", {"name": "thank", "confidence": 1.0},
                                       timestamp=3.0))
            await store.save(tracker)  # only the new event is added
            tracker.events.pop()

    asyncio.run(scenario())
    assert rows(ours) == rows(rasas)
    assert len(rows(ours)) == 9 and rows(ours)[0][:2] == ("c1", "user")


def test_a_read_works_out_the_applied_events_of_its_new_rows_only(stores, domain, monkeypatch):
    """Rasa asks each turn's tracker for its applied events (a walk over the session,
    before the turn starts): the tracker read back has those of the rows read before."""
    rasa_applied_events = DialogueStateTracker.applied_events
    monkeypatch.setattr(DialogueStateTracker, "copy", rasa_states._copy_without_replay())
    monkeypatch.setattr(DialogueStateTracker, "applied_events",
                        rasa_states._keep_applied_events())
    walked: list[int] = []
    rasa_apply = rasa_states._apply

    def counted_apply(tracker, applied, events, loops):
        events = list(events)
        walked.append(len(events))
        rasa_apply(tracker, applied, events, loops)

    monkeypatch.setattr(rasa_states, "_apply", counted_apply)
    ours, _rasas = stores

    async def scenario():
        await ours.save(DialogueStateTracker.from_events("c1", turn("hi", 1.0), domain.slots))
        for n in range(2, 40):
            walked.clear()
            tracker = await ours.retrieve("c1")
            assert tracker.applied_events() == rasa_applied_events(tracker)
            if n > 3:  # the first reads work the session out
                assert sum(walked) <= len(turn("", 0.0)), f"turn {n}: walked {walked}"
            for event in turn(f"message {n}", float(n)):
                tracker.update(event)
            await ours.save(tracker)

    asyncio.run(scenario())
