"""The memoization and rule policies shown only the last states they can match
(integrations/rasa_policy_window.py) predict what they predict from the whole session:
compared after every event of a long conversation made of the training stories, and
through the whole model's prediction."""

from __future__ import annotations

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered, UserUtteranceReverted
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from bot.settings import PROJECT_ROOT
from integrations import rasa_policy_window, rasa_states
from integrations.rasa_policy_window import key_length, window


@pytest.fixture(scope="module")
def model(trained_model):
    agent = Agent.load(str(trained_model))
    policies = {type(node._component): node._component
                for node in agent.processor.graph_runner._instantiated_nodes.values()
                if isinstance(node._component, MemoizationPolicy)}
    return agent, policies[MemoizationPolicy], policies[RulePolicy]


def _as_lived(tracker) -> list:
    """A training tracker's events as a conversation has them (no session start, no
    rule snippet)."""
    return [event for event in tracker.events
            if not (isinstance(event, ActionExecuted)
                    and event.action_name in ("action_session_start", "..."))]


@pytest.fixture(scope="module")
def trackers():
    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_ROOT / "config.yml"), str(PROJECT_ROOT / "domain.yml"),
        [str(PROJECT_ROOT / "data")])
    return TrainingDataGenerator(importer.get_stories(), importer.get_domain(),
                                 augmentation_factor=0, remove_duplicates=True).generate()


@pytest.fixture(scope="module")
def conversation(trackers):
    """The longest training stories one after the other, a message taken back twice."""
    stories = sorted((t for t in trackers if not t.is_rule_tracker),
                     key=lambda t: len(t.events))[-6:]
    events = [event for story in stories for event in _as_lived(story)]
    for at in (len(events) // 3, 2 * len(events) // 3):
        last_user = max(i for i, e in enumerate(events[:at]) if isinstance(e, UserUttered))
        events.insert(last_user + 2, UserUtteranceReverted())
    return events


@pytest.fixture
def windowed(monkeypatch):
    """Our kept states and the policies' windows, undone after the test."""
    monkeypatch.setattr(Domain, "states_for_tracker_history",
                        Domain.states_for_tracker_history)
    monkeypatch.setattr(DialogueStateTracker, "applied_events",
                        DialogueStateTracker.applied_events)
    monkeypatch.setattr(DialogueStateTracker, "copy", DialogueStateTracker.copy)
    monkeypatch.setattr(MemoizationPolicy, "_prediction_states",
                        MemoizationPolicy._prediction_states)

    def install():
        rasa_states.install()
        rasa_policy_window.install()

    return install


def predictions(agent, memoization, rules, events, start=1, whole_model=True) -> list:
    """After each event from `start` on: each policy's prediction, and the whole model's."""
    domain, found = agent.domain, []
    for end in range(start, len(events) + 1):
        tracker = DialogueStateTracker.from_events("+14155550101", events[:end],
                                                   domain.slots)
        found.append((
            memoization.predict_action_probabilities(
                tracker, domain, rule_only_data=rules._get_rule_only_data()),
            rules.predict_action_probabilities(tracker, domain),
            agent.processor._predict_next_with_tracker(tracker) if whole_model else None))
    return found


def test_each_policy_predicts_from_its_window_what_it_predicts_from_the_session(
        model, conversation, windowed):
    agent, memoization, rules = model
    rasa = predictions(agent, memoization, rules, conversation)
    windowed()
    ours = predictions(agent, memoization, rules, conversation)
    assert len(ours) == len(rasa) == len(conversation)
    for number, (mine, theirs) in enumerate(zip(ours, rasa)):
        assert mine == theirs, f"after event {number + 1}"
    # the predictions were made: rules and memorised stories both answered
    assert {theirs[2].policy_name for theirs in rasa} >= {"RulePolicy"}
    assert any(max(theirs[0].probabilities) > 0 for theirs in rasa)


def test_every_rule_and_story_after_a_long_conversation_is_predicted_as_from_the_session(
        model, conversation, trackers, windowed):
    """Each training rule and story told after the long conversation: the windows cut
    that history, and what each policy predicts at every step is what it predicts from
    the whole session."""
    agent, memoization, rules = model
    told = [conversation + _as_lived(tracker) for tracker in trackers]
    rasa = [predictions(agent, memoization, rules, events, len(conversation) + 1, False)
            for events in told]
    windowed()
    ours = [predictions(agent, memoization, rules, events, len(conversation) + 1, False)
            for events in told]
    assert sum(len(steps) for steps in rasa) > 400
    for tracker, mine, theirs in zip(trackers, ours, rasa):
        assert mine == theirs, tracker.sender_id
    assert sum(max(step[1].probabilities) == 1.0 for steps in rasa for step in steps) > 100


def test_the_policies_see_only_their_window_at_the_end_of_a_long_session(
        model, conversation, windowed):
    agent, memoization, rules = model
    windowed()
    tracker = DialogueStateTracker.from_events("+14155550102", conversation,
                                               agent.domain.slots)
    every_state = Policy._prediction_states(memoization, tracker, agent.domain)
    for policy in (memoization, rules):
        seen = policy._prediction_states(tracker, agent.domain)
        assert len(seen) == window(policy) < len(every_state)
        assert seen == every_state[-len(seen):]


def test_a_memorised_keys_length_is_read_from_the_key_itself(model):
    _agent, memoization, rules = model
    states = [{}, {"prev_action": {"action_name": "action_listen"},
                   "user": {"intent": "ask_balance"}},
              {"prev_action": {"action_name": "action_tell_balance"},
               "user": {"intent": "ask_balance"}}]
    for count in range(1, 4):
        key = memoization._create_feature_key(states[:count])
        assert key_length(key, compressed=True) == count
    assert key_length("not a key", compressed=True) is None
    # the rule policy's keys are plain JSON: its rules and its loops' unhappy paths
    assert window(rules) == 1 + max(
        len(RulePolicy._rule_key_to_state(key)) for part in
        ("rules", "rules_for_loop_unhappy_path") for key in rules.lookup[part])
