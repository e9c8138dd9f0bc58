"""The Rasa server's speed-ups change what it costs, never what it does: the action server
reads the same domain Rasa would have sent, and a malformed action answer is still refused."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from sqlalchemy import event
from sqlalchemy.engine import Engine

from actions.base import project_domain
from bot.settings import PROJECT_ROOT
from integrations import rasa_tuning


def test_the_action_server_reads_the_domain_rasa_would_have_sent():
    sent = Domain.load(str(PROJECT_ROOT / "domain.yml")).as_dict()
    mine = project_domain()
    assert mine["responses"] == sent["responses"]
    assert {name: form["required_slots"] for name, form in mine["forms"].items()} == \
        {name: form["required_slots"] for name, form in sent["forms"].items()}
    assert set(mine["slots"]) == set(sent["slots"])
    for name, slot in mine["slots"].items():
        assert slot["mappings"] == sent["slots"][name]["mappings"], name


@pytest.fixture
def tuned(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result",
                        RemoteAction._validate_action_result)
    from rasa.core import tracker_store

    monkeypatch.setattr(tracker_store, "create_engine_kwargs", tracker_store.create_engine_kwargs)
    rasa_tuning.install()
    yield RemoteAction("action_tell_balance", None)
    event.remove(Engine, "connect", rasa_tuning.tune_sqlite_connections)


def test_a_well_formed_action_answer_passes(tuned):
    answer = {"events": [{"event": "slot", "name": "language", "value": "es"}],
              "responses": [{"response": "utter_greet"}]}
    assert tuned._validate_action_result(answer) is True


@pytest.mark.parametrize("answer", [
    {"events": [{"event": "slot"}]},            # a slot event without its name
    {"events": "not a list"},
    {"responses": [["not", "an", "object"]]},
])
def test_a_malformed_action_answer_is_still_refused(tuned, answer):
    with pytest.raises(ValidationError):
        tuned._validate_action_result(answer)
