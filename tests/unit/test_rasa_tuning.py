"""The Rasa server's speed-ups change what it costs, never what it does: the action server
reads the same domain Rasa would have sent, and a malformed action answer is still refused."""

from __future__ import annotations

import asyncio

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.utils.endpoints import EndpointConfig
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
    monkeypatch.setattr(EndpointConfig, "session", EndpointConfig.session)
    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])
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
