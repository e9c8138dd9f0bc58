"""Rasa's debug-log arguments (deep copies, the rule policy's formatted states) are worked
out while debug logs are written, and skipped otherwise (integrations/rasa_debug_logs.py)."""

from __future__ import annotations

import logging

import pytest
from rasa.core import processor
from rasa.core.policies.rule_policy import RulePolicy

from integrations import rasa_debug_logs

STATES = [{"user": {"intent": "ask_balance"}, "prev_action": {"action_name": "action_listen"}}]


@pytest.fixture
def rasa_log_level():
    rasa_debug_logs.install()
    logger = logging.getLogger("rasa")
    level = logger.level
    yield logger.setLevel
    logger.setLevel(level)


def test_without_debug_logs_nothing_is_copied_or_formatted(rasa_log_level):
    rasa_log_level(logging.INFO)
    assert processor.copy.deepcopy(STATES) is STATES
    assert RulePolicy.format_tracker_states(STATES) == ""


def test_with_debug_logs_they_get_rasas_copies_and_text(rasa_log_level):
    rasa_log_level(logging.DEBUG)
    copied = processor.copy.deepcopy(STATES)
    assert copied == STATES and copied is not STATES and copied[0] is not STATES[0]
    assert "user intent: ask_balance" in RulePolicy.format_tracker_states(STATES)
