"""Rasa's debug-log arguments worked out only while debug logs are written.

Rasa 3.6 passes its structlog debug calls deep copies made on the spot (of the dialogue
states, the events of every prediction, the slots) and, in the rule policy, the whole
session's states formatted as text. Python evaluates them before the logger drops the
record, so every prediction paid for them at any log level, more as the session grew
(README, "Speed"). In the modules where `copy.deepcopy` serves only those log calls, it
copies only while Rasa's logger writes debug records, and the rule policy formats its
states only then; with debug logs on, both are Rasa's own.
"""

from __future__ import annotations

import copy
import importlib
import logging
from typing import Any

# Rasa 3.6.21 modules whose every copy.deepcopy is an argument of a debug log call
# (rasa/core/actions/action.py is not one: it deep-copies events it changes).
LOG_ONLY_COPIES = ("rasa.core.processor", "rasa.core.policies.rule_policy",
                   "rasa.core.policies.memoization", "rasa.core.actions.forms")


def debugging() -> bool:
    return logging.getLogger("rasa").isEnabledFor(logging.DEBUG)


class _CopiesForDebugLogs:
    """The copy module, with deepcopy a no-op while nothing writes debug records."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return copy.deepcopy(value, memo) if debugging() else value


def install() -> None:
    for name in LOG_ONLY_COPIES:
        importlib.import_module(name).copy = _CopiesForDebugLogs()
    from rasa.core.policies.policy import Policy
    from rasa.core.policies.rule_policy import RulePolicy

    rasa_format = Policy.format_tracker_states

    def format_tracker_states(states):
        return rasa_format(states) if debugging() else ""

    RulePolicy.format_tracker_states = staticmethod(format_tracker_states)
