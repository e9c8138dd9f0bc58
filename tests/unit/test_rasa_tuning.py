"""The Rasa server's speed-ups change what it costs, never what it does: the action server
reads the same domain Rasa would have sent, the same tracker but for the session's older
events (and knows how many were left out), and a malformed action answer is still refused."""

from __future__ import annotations

import asyncio
import copy
import importlib

import pytest
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import ActionExtractSlots, RemoteAction
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import event
from sqlalchemy.engine import Engine

from actions.base import project_domain
from bot.settings import PROJECT_ROOT
from integrations import action_calls, rasa_debug_logs, rasa_tuning
from integrations.action_results import ActionResultCheck


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
    monkeypatch.setattr(EndpointConfig, "session", EndpointConfig.session)
    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])
    monkeypatch.setattr(RemoteAction, "_action_call_format", RemoteAction._action_call_format)
    monkeypatch.setattr(Domain, "states_for_tracker_history", Domain.states_for_tracker_history)
    monkeypatch.setattr(DialogueStateTracker, "applied_events",
                        DialogueStateTracker.applied_events)
    monkeypatch.setattr(DialogueStateTracker, "copy", DialogueStateTracker.copy)
    monkeypatch.setattr(ActionExtractSlots, "_execute_validation_action",
                        ActionExtractSlots._execute_validation_action)
    monkeypatch.setattr(RulePolicy, "format_tracker_states", RulePolicy.format_tracker_states)
    monkeypatch.setattr(MemoizationPolicy, "_prediction_states",
                        MemoizationPolicy._prediction_states)
    for module in rasa_debug_logs.LOG_ONLY_COPIES:
        monkeypatch.setattr(importlib.import_module(module), "copy", copy)
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


ANSWERS = [
    {"events": [{"event": "slot", "name": "language", "value": "es"}]},
    {"events": [{"event": "slot"}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": 7}]},
    {"events": [{"event": "slot", "name": "n", "value": 1, "timestamp": "yesterday"}]},
    {"events": ["slot"]},
    {"events": [{"name": "language"}]},
    {"events": [{"event": "bot", "text": "Hi", "data": {"buttons": []}},
                {"event": "followup", "name": "action_listen"},
                {"event": "active_loop", "name": None}, {"event": "reset_slots"}]},
    {"events": [{"event": "user", "text": "hi", "parse_data": {"intent": "not an object"}}]},
    {"events": [{"event": "action", "name": "action_listen", "policy": None,
                 "confidence": "high"}]},
    {"events": None}, {}, [], "text", {"responses": [{"text": "Hi"}], "events": []},
]


def test_checking_events_by_their_type_gives_the_whole_schemas_verdict():
    schema = RemoteAction.action_response_format_spec()
    check, whole = ActionResultCheck(schema), validator_for(schema)(schema)
    verdicts = []
    for answer in ANSWERS + [{"events": [one]} for one in _every_type_of_event()]:
        verdicts.append(check.passes(answer))
        assert verdicts[-1] == whole.is_valid(answer), answer
        assert (check.error(answer) is None) == verdicts[-1]
    assert True in verdicts and False in verdicts


def _every_type_of_event() -> list:
    """One event of each type Rasa writes, as it writes them (each type's own fields)."""
    return [event.as_dict() for event in [
        UserUttered("hi", {"name": "greet", "confidence": 0.9}), ActionExecuted("action_listen"),
        SlotSet("language", "es"), BotUttered("Hello", {"buttons": None})]] + [
        {"event": name} for name in ("restart", "undo", "rewind", "pause", "resume",
                                     "session_started", "reset_slots", "export")]


def test_event_types_resolve_as_rasa_resolves_them(tuned):
    from rasa.shared.utils.common import all_subclasses

    names = {cls.type_name for cls in all_subclasses(Event)}
    for name in names:
        assert Event.resolve_by_type(name) is next(
            cls for cls in all_subclasses(Event) if cls.type_name == name)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", default=Event) is Event
    with pytest.raises(ValueError):
        Event.resolve_by_type("no such event")


def test_calls_to_an_endpoint_reuse_one_connection(tuned):
    """Two action calls, one TCP connection: the server sees a single peer port."""
    from aiohttp import web

    peers = []

    async def webhook(request):
        peers.append(request.transport.get_extra_info("peername")[1])
        return web.json_response({"events": [], "responses": []})

    async def scenario():
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        try:
            for _ in range(3):
                assert await endpoint.request(json={"next_action": "x"}) == {
                    "events": [], "responses": []}
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
    assert len(peers) == 3 and len(set(peers)) == 1


def conversation(turns: int) -> DialogueStateTracker:
    """A session of `turns` exchanges: question, slot, answer, listen."""
    tracker = DialogueStateTracker("+14155550101", [])
    tracker.update(ActionExecuted("action_listen"))
    for turn in range(turns):
        tracker.update(UserUttered(f"question {turn}", {"name": "ask_balance",
                                                        "confidence": 0.9}))
        tracker.update(SlotSet("language", "en"))
        tracker.update(ActionExecuted("action_tell_balance"))
        tracker.update(BotUttered(f"answer {turn}"))
        tracker.update(ActionExecuted("action_listen"))
    return tracker


@pytest.mark.parametrize("turns", [1, action_calls.RECENT_USER_MESSAGES,
                                   action_calls.RECENT_USER_MESSAGES + 1, 300])
def test_an_action_call_carries_the_recent_events_and_counts_the_rest(turns, monkeypatch):
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    tracker = conversation(turns)
    whole = RemoteAction("action_tell_balance", None)._action_call_format(tracker, domain)
    monkeypatch.setattr(RemoteAction, "_action_call_format", RemoteAction._action_call_format)
    rasa_tuning._send_recent_events()
    recent = RemoteAction("action_tell_balance", None)._action_call_format(tracker, domain)
    left_out = recent["tracker"].pop(action_calls.OMITTED)
    every, kept = whole["tracker"].pop("events"), recent["tracker"].pop("events")
    assert recent == whole  # slots, latest message, loop, channel: all as Rasa sends them
    assert [action_calls.slim(e) for e in every[left_out:]] == kept
    assert len(every) == left_out + len(kept)
    users = [e["text"] for e in kept if e["event"] == "user"]
    assert users == [f"question {n}" for n in range(turns)][-action_calls.RECENT_USER_MESSAGES:]
    assert len(kept) <= 5 * action_calls.RECENT_USER_MESSAGES  # however long the session


def test_an_action_call_carries_of_each_message_what_actions_read(monkeypatch):
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    tracker = DialogueStateTracker("+14155550101", [])
    stamps = {"model_id": "36a09d8d", "assistant_id": "ar-assistant"}
    entity = {"entity": "invoice_number", "value": "INV-2026-0142", "start": 8, "end": 21}
    for text in ("is invoice INV-2026-0142 paid?", "and the balance?"):
        tracker.update(UserUttered(text, {"name": "ask_invoice_status", "confidence": 0.9},
                                   [entity], {"intent_ranking": [{"name": "affirm"}],
                                              "text_tokens": [[0, 2]]},
                                   input_channel="twilio",
                                   metadata={**stamps, "channel": "sms"}))
        tracker.update(SlotSet("language", "en", metadata=dict(stamps)))
    monkeypatch.setattr(RemoteAction, "_action_call_format", RemoteAction._action_call_format)
    rasa_tuning._send_recent_events()
    call = RemoteAction("action_tell_balance", None)._action_call_format(tracker, domain)
    first = call["tracker"]["events"][0]
    assert first["text"] == "is invoice INV-2026-0142 paid?"
    assert first["input_channel"] == "twilio" and first["metadata"] == {"channel": "sms"}
    assert first["parse_data"] == {"intent": {"name": "ask_invoice_status",
                                              "confidence": 0.9}, "entities": [entity]}
    slot = call["tracker"]["events"][1]
    assert (slot["event"], slot["name"], slot["value"], slot["metadata"]) == (
        "slot", "language", "en", {})
    # The latest message travels whole: its reading as the NLU made it.
    assert call["tracker"]["latest_message"]["intent_ranking"] == [{"name": "affirm"}]


@pytest.mark.parametrize("action", ["validate_identity_form", "action_tell_balance"])
def test_no_action_call_carries_the_domain(action, monkeypatch):
    """Rasa sends validation actions the whole domain whatever the endpoint says."""
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    endpoint = EndpointConfig("http://localhost:5055/webhook", enable_selective_domain=True)
    assert ("domain" in RemoteAction(action, endpoint)._action_call_format(conversation(1), domain)
            ) == action.startswith("validate_")
    monkeypatch.setattr(RemoteAction, "_action_call_format", RemoteAction._action_call_format)
    rasa_tuning._send_recent_events()
    call = RemoteAction(action, endpoint)._action_call_format(conversation(1), domain)
    assert "domain" not in call and call["next_action"] == action


def test_the_action_server_knows_how_many_events_came_before():
    from rasa_sdk.interfaces import Tracker

    action_calls.keep_omitted_counts()
    state = {"sender_id": "+14155550101", "events": [{"event": "action", "name": "x"}],
             action_calls.OMITTED: 180}
    assert action_calls.events_before(Tracker.from_dict(state)) == 180
    assert action_calls.events_before(Tracker.from_dict({"sender_id": "s", "events": []})) == 0
    assert action_calls.events_before(Tracker("s", {}, {}, [], False, None, {}, None)) == 0
