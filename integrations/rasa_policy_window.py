"""The memoization and rule policies shown only the end of a conversation that they can
match. Rasa gives both every state of the session for each prediction (its memoization has
no max_history), and each works over all of them: removes texts, writes them as a JSON key,
walks them against every rule. At turn 200 a prediction cost five times one at turn 5, and
a message takes about three (README, "Speed").

What they learned is at most N states long: a rule, a loop's unhappy-path condition, a
memorised story. A rule stops comparing once it is past its own length, and a memorised
story is looked up by a key of the whole history, never found when the history is longer
than every story. So each policy is given the last N + 1 states, which it answers exactly
as it answers the whole history (tests/unit/test_rasa_policy_window.py), and a prediction
takes the same time at turn 200 as at turn 5. Training (trackers of the training data) is
never cut.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any, Optional

from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import (RULES, RULES_FOR_LOOP_UNHAPPY_PATH,
                                            RulePolicy)
from rasa.shared.core.generator import TrackerWithCachedStates

from integrations import rasa_states

_WINDOWS = "_ar_state_window"  # the policy's attribute: (its lookup, the window)


def key_length(key: str, compressed: bool) -> Optional[int]:
    """How many states a memorised key holds at most (None: it cannot be read). The
    memoization writes its key as JSON without quotes; every state but a conversation's
    first has a previous action."""
    try:
        text = zlib.decompress(base64.b64decode(key)).decode() if compressed else key
    except (ValueError, zlib.error, UnicodeDecodeError):
        return None
    return text.count("prev_action:") + 1 if text.startswith("[") else None


def _rule_lengths(lookup: dict) -> list[Optional[int]]:
    return [len(json.loads(key)) for part in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH)
            for key in lookup.get(part, {})]


def window(policy: MemoizationPolicy) -> Optional[int]:
    """The states `policy` needs to see (None: all of them), worked out once per lookup."""
    kept = policy.__dict__.get(_WINDOWS)
    if kept is not None and kept[0] is policy.lookup:
        return kept[1]
    if isinstance(policy, RulePolicy):  # its keys are JSON
        lengths = _rule_lengths(policy.lookup)
    else:
        compressed = bool(policy.config.get("enable_feature_string_compression"))
        lengths = [key_length(key, compressed) for key in policy.lookup]
    max_history = policy.config.get("max_history")
    size = None if None in lengths else max([0, *lengths]) + 1
    if max_history is not None and size is not None:
        size = max(size, max_history)
    policy.__dict__[_WINDOWS] = (policy.lookup, size)
    return size


def install() -> None:
    """MemoizationPolicy and RulePolicy predict from their window of states."""
    rasa_prediction_states = Policy._prediction_states

    def prediction_states(self, tracker, domain, use_text_for_last_user_input=False,
                          rule_only_data: Optional[dict[str, Any]] = None):
        if isinstance(tracker, TrackerWithCachedStates):  # training
            return rasa_prediction_states(self, tracker, domain,
                                          use_text_for_last_user_input, rule_only_data)
        with rasa_states.states_window(window(self)):
            return rasa_prediction_states(self, tracker, domain,
                                          use_text_for_last_user_input, rule_only_data)

    MemoizationPolicy._prediction_states = prediction_states
