"""Dialogue states worked out once per conversation, and applied events kept until the
tracker changes (integrations/rasa_states.py), are exactly those Rasa works out by
replaying the whole session: compared on every prefix of the stories and rules in data/
(forms, rewound loops, rule-only turns), growing one event at a time as a conversation
grows, read back afresh each time as from the tracker store."""

from __future__ import annotations

import pytest
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, Restarted, SlotSet,
                                     UserUttered, UserUtteranceReverted)
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.importers.importer import TrainingDataImporter

from bot.settings import PROJECT_ROOT
from integrations.rasa_states import (StatesOfConversations, _copy_without_replay,
                                      _keep_applied_events, validation_tracker)

RASA_STATES = Domain.states_for_tracker_history


@pytest.fixture(scope="module")
def stories():
    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_ROOT / "config.yml"), str(PROJECT_ROOT / "domain.yml"),
        [str(PROJECT_ROOT / "data")])
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0,
                                     remove_duplicates=True).generate()
    return domain, [list(t.events) for t in trackers]


def options(domain: Domain) -> list[tuple]:
    """The three ways the policies ask: as memoization, as rules (rule-only turns and
    features left out), without unset slots."""
    rule_only = {"slots": [s.name for s in domain.slots][:3],
                 "active_loops": list(domain.form_names)[:2]}
    return [(False, False, None), (False, True, rule_only), (True, False, None)]


def grown(events, domain, kept, sender="+14155550101"):
    """Each prefix of events, read back afresh as a worker reads a conversation, with
    both states: Rasa's own and the kept ones."""
    for end in range(1, len(events) + 1):
        tracker = DialogueStateTracker.from_events(sender, events[:end], domain.slots)
        for omit, ignore, rule_only in options(domain):
            yield (RASA_STATES(domain, tracker, omit, ignore, rule_only),
                   kept.states(domain, tracker, omit, ignore, rule_only))


def test_every_prefix_of_every_story_and_rule_gets_rasas_states(stories):
    domain, trackers = stories
    kept = StatesOfConversations()
    compared = 0
    for number, events in enumerate(trackers):
        for rasa, ours in grown(events, domain, kept, sender=f"story-{number}"):
            assert ours == rasa
            compared += 1
    assert compared > 1000 and kept.resumed > kept.restarted


def test_a_long_conversation_with_rewinds_gets_rasas_states_and_is_resumed(stories):
    domain, trackers = stories
    long = [event for events in sorted(trackers, key=len)[-8:] for event in events
            if not (isinstance(event, ActionExecuted) and event.action_name ==
                    "action_session_start")]
    # the customer's message taken back twice (as a rephrase does), mid-conversation
    for at in (len(long) // 3, 2 * len(long) // 3):
        last_user = max(i for i, e in enumerate(long[:at]) if isinstance(e, UserUttered))
        long.insert(last_user + 2, UserUtteranceReverted())
    kept = StatesOfConversations()
    for rasa, ours in grown(long, domain, kept):
        assert ours == rasa
    assert kept.resumed > 3 * kept.restarted


def test_what_a_policy_changes_in_the_last_state_never_reaches_the_next_prediction(stories):
    domain, trackers = stories
    events = max(trackers, key=len)
    kept = StatesOfConversations()
    for end in range(2, len(events) + 1):
        tracker = DialogueStateTracker.from_events("s", events[:end], domain.slots)
        for omit, ignore, rule_only in options(domain):
            ours = kept.states(domain, tracker, omit, ignore, rule_only)
            assert ours == RASA_STATES(domain, tracker, omit, ignore, rule_only)
            # what the policies' featurizer does to the states it is given
            MaxHistoryTrackerFeaturizer()._choose_last_user_input([ours], True)


def test_applied_events_are_kept_until_the_tracker_changes(stories):
    domain, trackers = stories
    kept = _keep_applied_events()
    rasa = DialogueStateTracker.applied_events
    # A form's execution before any event activates it, then its activation: the first
    # execution's meaning changes (Rasa's rule looks at the loops of the whole session).
    late_loop = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}),
                 ActionExecuted("payment_plan_form"), ActionExecuted("action_listen"),
                 UserUttered("a plan", {"name": "request_payment_plan"}),
                 ActionExecuted("payment_plan_form"), ActiveLoop("payment_plan_form"),
                 ActionExecuted("payment_plan_form"), ActionExecuted("action_listen")]
    for events in trackers + [late_loop]:
        tracker = DialogueStateTracker("s", domain.slots)
        assert kept(tracker) == rasa(tracker) == []
        for event in events:
            tracker.update(event)
            first = kept(tracker)
            first.append("changed by its caller")
            assert kept(tracker) == rasa(tracker)
        tracker.update(UserUtteranceReverted())
        assert kept(tracker) == rasa(tracker)


def what_a_tracker_is(tracker, domain) -> dict:
    return {"state": tracker.current_state(EventVerbosity.ALL),
            "events": list(tracker.events), "past": RASA_STATES(domain, tracker),
            "slots": {n: (s.value, s.has_been_set) for n, s in tracker.slots.items()},
            "paused": tracker.is_paused(), "followup": tracker.followup_action,
            "loop": tracker.active_loop, "latest": (tracker.latest_message,
                                                    tracker.latest_bot_utterance)}


def test_a_copy_without_replay_is_what_rasas_replay_makes(stories):
    domain, trackers = stories
    quick_copy, rasa_copy = _copy_without_replay(), DialogueStateTracker.copy
    undone = trackers[0] + [UserUtteranceReverted()]
    for events in sorted(trackers, key=len)[-30:] + [undone]:
        tracker = DialogueStateTracker("s", domain.slots)
        for event in events:
            tracker.update(event, domain)
            ours, rasas = quick_copy(tracker), rasa_copy(tracker)
            assert what_a_tracker_is(ours, domain) == what_a_tracker_is(rasas, domain)
            ours.update(SlotSet(domain.slots[0].name, "changed in the copy"))
            assert what_a_tracker_is(tracker, domain) == what_a_tracker_is(rasas, domain)


def test_the_slot_validation_tracker_is_what_rasas_replay_makes(stories):
    domain, trackers = stories
    extracted = [SlotSet("language", "es"), SlotSet(domain.slots[0].name, "extracted")]
    restarted = trackers[0] + [Restarted()] + trackers[1]
    for events in sorted(trackers, key=len)[-30:] + [restarted]:
        tracker = DialogueStateTracker("s", domain.slots)
        for event in events:
            tracker.update(event, domain)
            before = what_a_tracker_is(tracker, domain)
            ours = validation_tracker(tracker, extracted, domain)
            rasas = DialogueStateTracker.from_events(
                "s", tracker.events_after_latest_restart() + extracted, slots=domain.slots)
            assert what_a_tracker_is(ours, domain) == what_a_tracker_is(rasas, domain)
            assert what_a_tracker_is(tracker, domain) == before  # the session's own: as it was
