"""What Rasa sends the action server with each call: the tracker with the recent events of
the session only, and how many earlier ones it left out. Rasa sends every event of the
session with every call (two or three a turn), so at turn 300 each call carried 1.1 MB of
JSON and parsing it was three quarters of the action server's time (README, "Speed").
The actions look back a few turns at most (the request before a verification, the misses
in a row, the action before a form, the last messages for a collector's card); the count
of what was left out keeps positions in the session right (a handoff's `events_seen`).
Each event carries what actions read of it (slim).

Imported by both servers: by the Rasa server's tuning and by the action server, which
keeps the count on rasa_sdk's Tracker (`events_before`)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

# The events from the user message this many messages back; a handoff card shows the last
# 12 messages, a verification takes 2 or 3 turns.
RECENT_USER_MESSAGES = 20
OMITTED = "events_omitted"


# What Rasa stamps into every event's metadata, and no action reads.
RASA_STAMPS = frozenset(("model_id", "assistant_id"))
# Of an earlier message's reading, what actions read (the handoff card's English reading,
# what was asked before): the intent and the entities. The latest message travels whole
# in the tracker's `latest_message`.
READING_KEPT = ("intent", "entities")


def slim(event: dict[str, Any]) -> dict[str, Any]:
    """An event as an action call carries it: without Rasa's stamps in its metadata and,
    for a message, without the parts of its reading no action reads (the intent ranking,
    token offsets, copies of its text and metadata): half the call's JSON."""
    metadata = event.get("metadata")
    if metadata and not RASA_STAMPS.isdisjoint(metadata):
        event["metadata"] = {k: v for k, v in metadata.items() if k not in RASA_STAMPS}
    reading = event.get("parse_data")
    if reading:
        event["parse_data"] = {k: reading[k] for k in READING_KEPT if k in reading}
    return event


def recent_start(events: Sequence[Any], is_user_message: Callable[[Any], bool],
                 keep: int = RECENT_USER_MESSAGES) -> int:
    """Where the recent part starts: at the keep-th user message from the end (0 when the
    session holds no more than that); looks at the recent events only."""
    seen = 0
    for index in range(len(events) - 1, -1, -1):
        if is_user_message(events[index]):
            seen += 1
            if seen == keep:
                return index
    return 0


def events_before(tracker: Any) -> int:
    """How many events of the session come before the tracker's first one (0 for a
    tracker not made from an action call, which holds them all)."""
    return getattr(tracker, OMITTED, 0)


def keep_omitted_counts() -> None:
    """rasa_sdk's Tracker.from_dict keeps the count of events left out of the call."""
    from rasa_sdk.interfaces import Tracker

    if getattr(Tracker.from_dict, "keeps_omitted", False):
        return
    from_dict = Tracker.from_dict.__func__

    def with_count(cls, state):
        tracker = from_dict(cls, state)
        setattr(tracker, OMITTED, int(state.get(OMITTED) or 0))
        return tracker

    with_count.keeps_omitted = True
    Tracker.from_dict = classmethod(with_count)


def personal_strings(call: dict) -> list[str]:
    """What of an action call must not reach a log: the customer's text, slot values."""
    tracker = call.get("tracker") or {}
    found = [(tracker.get("latest_message") or {}).get("text")]
    found += [v for v in (tracker.get("slots") or {}).values() if isinstance(v, str)]
    return [s for s in found if s]
