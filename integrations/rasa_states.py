"""The dialogue states Rasa's policies predict from, worked out once per conversation and
extended as it grows, and the applied events they come from worked out once per change.

Rasa replays the whole session and works out the state before every action again for each
prediction (three times per prediction with our policies), so at turn 300 that was three
quarters of a prediction (README, "Speed"). The state before an action depends only on the
applied events before it, so each worker keeps, per conversation, where its last replay
ended, and replays only the events after it; when the applied events differ from what it
replayed (an undo, a rewound form, another session) it replays from the start, as Rasa
does. A tracker's applied events (its events without the undone ones, a walk over the
whole session) are kept until an event is added, instead of walked again for each of the
dozen times a turn asks; and the copy Rasa makes of the tracker before every action run
takes the tracker's state instead of replaying the whole session into a new one, as does
the tracker the slot validation action is sent after every message. All are what Rasa's
own code works out (tests/unit/test_rasa_states.py compares them on every prefix of the
training stories)."""

from __future__ import annotations

import contextlib
import contextvars
import copy as copying
import itertools
import json
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from rasa.core.actions.action import ActionExtractSlots
from rasa.shared.core.constants import ACTION_UNLIKELY_INTENT_NAME, ACTION_VALIDATE_SLOT_MAPPINGS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, BotUttered,
                                     Restarted, SessionStarted, SlotSet, UserUttered,
                                     UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker

CONVERSATIONS_KEPT = 2000
# How many of the last states a prediction asks for (None: all); a policy sets it
# (integrations/rasa_policy_window.py).
_WINDOW: contextvars.ContextVar[Optional[int]] = contextvars.ContextVar("states_window",
                                                                        default=None)


@contextlib.contextmanager
def states_window(size: Optional[int]):
    """Tracker states asked for inside this block are the last `size` (None: all)."""
    token = _WINDOW.set(size)
    try:
        yield
    finally:
        _WINDOW.reset(token)


def last_states(states: list[dict], size: Optional[int]) -> list[dict]:
    """The last `size` states, not counting those after action_unlikely_intent (Rasa's
    featurizer removes them before it cuts a history to its max_history)."""
    if size is None or len(states) <= size:
        return states
    start, counted = len(states), 0
    while start > 0 and counted < size:
        start -= 1
        if states[start].get("prev_action", {}).get("action_name") != \
                ACTION_UNLIKELY_INTENT_NAME:
            counted += 1
    return states[start:]


@dataclass
class _Replay:
    """A replay stopped after `events` (applied events), with the states before each
    action in them, and the two running values of Rasa's loop for rule-only turns."""

    replayed: Any  # the DialogueStateTracker the events were applied to
    events: list = field(default_factory=list)
    states: list[dict] = field(default_factory=list)
    last_ml_action: Optional[dict] = None
    turn_was_hidden: bool = False


class StatesOfConversations:
    def __init__(self):
        self._replays: OrderedDict[tuple, _Replay] = OrderedDict()
        self.resumed = self.restarted = 0

    def states(self, domain: Domain, tracker: Any, omit_unset_slots: bool = False,
               ignore_rule_only_turns: bool = False,
               rule_only_data: Optional[dict[str, Any]] = None) -> list[dict]:
        """Domain.states_for_tracker_history, resumed where this conversation's last
        replay with the same options stopped."""
        key = (tracker.sender_id, id(domain), omit_unset_slots, ignore_rule_only_turns,
               json.dumps(rule_only_data, sort_keys=True, default=str))
        applied = tracker.applied_events()
        replay = self._replays.pop(key, None)
        if replay is None or not self._continues(replay, applied):
            replay = _Replay(tracker.init_copy())
            self.restarted += 1
        else:
            # The tracker's own objects from here on, so that the next check finds them
            # identical (a turn's events come back from the tracker store as new ones).
            replay.events[:] = applied[:len(replay.events)]
            self.resumed += 1
        for event in applied[len(replay.events):]:
            if isinstance(event, ActionExecuted):
                self._add_state(domain, replay, event.hide_rule_turn, omit_unset_slots,
                                ignore_rule_only_turns, rule_only_data)
            replay.replayed.update(event)
            replay.events.append(event)
        self._replays[key] = replay
        while len(self._replays) > CONVERSATIONS_KEPT:
            self._replays.popitem(last=False)
        # The state after the last event is the tracker's present: worked out afresh each
        # time. The policies change the last state of what they are given (Rasa's
        # _choose_last_user_input), so that one is never a kept one.
        present = _Replay(replay.replayed, states=list(replay.states),
                          last_ml_action=replay.last_ml_action,
                          turn_was_hidden=replay.turn_was_hidden)
        self._add_state(domain, present, False, omit_unset_slots, ignore_rule_only_turns,
                        rule_only_data)
        states = present.states
        if states and len(states) == len(replay.states):  # the present turn was hidden
            states[-1] = {name: dict(sub_state) for name, sub_state in states[-1].items()}
        return last_states(states, _WINDOW.get())

    @staticmethod
    def _continues(replay: _Replay, applied: list) -> bool:
        """Whether the applied events begin with those replayed: the same objects (the
        tracker store shares them between reads), else equal events (the same states)."""
        done = len(replay.events)
        return len(applied) >= done and applied[:done] == replay.events

    @staticmethod
    def _add_state(domain: Domain, replay: _Replay, hide_rule_turn: bool,
                   omit_unset_slots: bool, ignore_rule_only_turns: bool,
                   rule_only_data: Optional[dict[str, Any]]) -> None:
        """One step of Domain.states_for_tracker_history's loop (Rasa 3.6), for the
        replayed tracker as it is now."""
        tracker, states = replay.replayed, replay.states
        if ignore_rule_only_turns:
            if not replay.turn_was_hidden:
                replay.last_ml_action = domain._get_prev_action_sub_state(tracker)
            if not tracker.followup_action and \
                    not tracker.latest_action_name == tracker.active_loop_name:
                replay.turn_was_hidden = hide_rule_turn
            if replay.turn_was_hidden:
                return
        state = domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if states:
                domain._substitute_rule_only_user_input(state, states[-1])
            if replay.last_ml_action:
                state["prev_action"] = replay.last_ml_action
        states.append(domain._clean_state(state))


@dataclass(frozen=True)
class _Applied:
    """A tracker's applied events as worked out over its first `count` events."""
    count: int
    last: Any  # the last of those events (the tracker's events are only ever added to)
    events: list
    loops: frozenset  # the names of the loops its events activate


def _loop_names(events) -> frozenset:
    return frozenset(e.name for e in events if isinstance(e, ActiveLoop) and e.name)


def _apply(tracker, applied: list, events, loops: frozenset) -> None:
    """Rasa 3.6.21's DialogueStateTracker.applied_events over `events`, continued from
    `applied` (what it worked out over the events before them, with the same loops)."""
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, ActionExecuted) and event.action_name in loops and \
                not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)


def _keep_applied_events():
    def applied_events(tracker):
        """Kept until an event is added; then continued over the events added, unless
        they activate a loop none before did (Rasa's rule for a loop's own executions
        looks at every loop of the session): then worked out from the start."""
        events = tracker.events
        count = len(events)
        kept = tracker.__dict__.get("_applied_events_kept")
        if kept is None or kept.count != count or kept.last is not (events[-1] if count else None):
            added = list(itertools.islice(events, kept.count, None)) \
                if kept is not None and 0 < kept.count <= count \
                and events[kept.count - 1] is kept.last else None
            if added is not None and _loop_names(added) <= kept.loops:
                applied, loops = list(kept.events), kept.loops
                _apply(tracker, applied, added, loops)
            else:
                applied, loops = [], _loop_names(events)
                _apply(tracker, applied, events, loops)
            kept = _Applied(count, events[-1] if count else None, applied, loops)
            tracker.__dict__["_applied_events_kept"] = kept
        return list(kept.events)  # callers may change their list

    return applied_events


def _latest(events, kind) -> Any:
    """The last event of a kind, looking back from the end."""
    return next((event for event in reversed(events) if isinstance(event, kind)), None)


def _copy_without_replay(rasa_copy=DialogueStateTracker.copy):
    def copy(tracker):
        """What replaying the tracker's events into a new one gives (Rasa's copy), when
        its latest message and bot utterance are its last ones (no undo since) and it
        keeps its whole history; else Rasa's copy."""
        events = tracker.events
        latest_message = _latest(events, UserUttered)
        latest_bot = _latest(events, BotUttered)
        if type(tracker) is not DialogueStateTracker or tracker._max_event_history or \
                (latest_message is not None and tracker.latest_message is not latest_message) \
                or (latest_bot is not None and tracker.latest_bot_utterance is not latest_bot):
            return rasa_copy(tracker)
        duplicate = tracker.init_copy()
        duplicate.events = duplicate._create_events(list(events))
        duplicate.slots = {name: copying.copy(slot) for name, slot in tracker.slots.items()}
        duplicate._paused = tracker._paused
        duplicate.followup_action = tracker.followup_action
        duplicate.latest_action = dict(tracker.latest_action) \
            if tracker.latest_action is not None else None
        if latest_message is not None:
            duplicate.latest_message = latest_message
        if latest_bot is not None:
            duplicate.latest_bot_utterance = latest_bot
        duplicate.active_loop = replace(tracker.active_loop) if tracker.active_loop else None
        kept = tracker.__dict__.get("_applied_events_kept")
        if kept is not None:
            duplicate.__dict__["_applied_events_kept"] = kept
        return duplicate

    return copy


def validation_tracker(tracker: DialogueStateTracker, slot_events: list[SlotSet],
                       domain: Domain) -> DialogueStateTracker:
    """The tracker Rasa sends the slot validation action after each message: the session
    since its latest restart with the extracted slots set. A copy (without a replay, as
    above) when the session has no restart; else Rasa's replay of what follows it."""
    if any(isinstance(event, Restarted) for event in tracker.events):
        return DialogueStateTracker.from_events(
            tracker.sender_id, tracker.events_after_latest_restart() + slot_events,
            slots=domain.slots)
    validated = tracker.copy()
    for event in slot_events:
        validated.update(event)
    return validated


async def _validate_extracted_slots(self, extraction_events, output_channel, nlg, tracker,
                                    domain):
    """ActionExtractSlots._execute_validation_action of Rasa 3.6.21, with the tracker
    from validation_tracker instead of a replay of the whole session."""
    slot_events = [event for event in extraction_events if isinstance(event, SlotSet)]
    if ACTION_VALIDATE_SLOT_MAPPINGS not in domain.user_actions:
        return slot_events
    validate_events = await self._run_custom_action(
        ACTION_VALIDATE_SLOT_MAPPINGS, output_channel, nlg,
        validation_tracker(tracker, slot_events, domain), domain)
    validated = {event.key for event in validate_events if isinstance(event, SlotSet)}
    # An extracted slot the action says nothing about is valid (Rasa's rule).
    return validate_events + [event for event in slot_events if event.key not in validated]


def install() -> StatesOfConversations:
    """Every tracker keeps its applied events and is copied without a replay; every
    Domain works out tracker states through one StatesOfConversations."""
    DialogueStateTracker.applied_events = _keep_applied_events()
    DialogueStateTracker.copy = _copy_without_replay()
    ActionExtractSlots._execute_validation_action = _validate_extracted_slots
    kept = StatesOfConversations()

    def states_for_tracker_history(domain, tracker, omit_unset_slots=False,
                                   ignore_rule_only_turns=False, rule_only_data=None):
        return kept.states(domain, tracker, omit_unset_slots, ignore_rule_only_turns,
                           rule_only_data)

    Domain.states_for_tracker_history = states_for_tracker_history
    return kept
