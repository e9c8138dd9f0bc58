"""Actions run inside the Rasa server (ACTION_SERVER_URL=in-process:): Rasa's own
RemoteAction calls them through its endpoint and reads back what an action server would
have answered, refusals and failures included (integrations/in_process_actions.py)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from rasa.core.actions.action import ActionExecutionRejection as RasaRejection
from rasa.core.actions.action import RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.interfaces import ActionExecutionRejection

from actions.base import set_ar_app
from bot.observability import metrics
from bot.runtime.app import ARApp
from bot.settings import PROJECT_ROOT, load_settings
from integrations import in_process_actions, rasa_operations
from integrations.held_turns import _health_url

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
IN_PROCESS = EndpointConfig(url="in-process:")


@pytest.fixture(autouse=True, scope="module")
def installed():
    in_process_actions.install()


def tracker_of(text: str, intent: str, sender="+14155550101", channel="twilio"):
    return DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen"),
        UserUttered(text, {"name": intent, "confidence": 0.99}, input_channel=channel),
        SlotSet("language", "en")], DOMAIN.slots)


def run(action: str, tracker) -> list:
    return asyncio.run(RemoteAction(action, IN_PROCESS).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(DOMAIN.responses),
        tracker, DOMAIN))


def failures(action: str, reason: str) -> float:
    return metrics.ACTION_ERRORS.labels(action, reason)._value.get()


def test_a_balance_asked_by_phone_is_answered_from_the_ledger_in_this_process():
    events = run("action_tell_balance", tracker_of("what do we owe", "ask_balance"))
    said = [e.text for e in events if isinstance(e, BotUttered)]
    assert any("Acme Corporation has $16,225.50 open across 5 invoice(s)" in s for s in said)


def test_an_unverified_web_visitor_is_sent_to_verification_as_by_an_action_server():
    events = run("action_tell_balance",
                 tracker_of("my balance", "ask_balance", "web-visitor-1", "rest"))
    said = [e.text for e in events if isinstance(e, BotUttered)]
    assert said == ["Before I share account details I need to confirm who you are."]
    assert any(isinstance(e, SlotSet) and e.key == "pending_request"
               and e.value == "action_tell_balance" for e in events)


async def refusing(_dispatcher, _tracker, _domain):
    raise ActionExecutionRejection("action_test_refusing", "not for this message")


def test_a_refusal_reaches_rasa_as_its_rejection_and_a_missing_action_as_a_failure(
        monkeypatch):
    monkeypatch.setitem(in_process_actions.executor().actions, "action_test_refusing",
                        refusing)
    before = failures("action_test_refusing", "rejected")
    with pytest.raises(RasaRejection):
        run("action_test_refusing", tracker_of("hi", "greet"))
    assert failures("action_test_refusing", "rejected") == before + 1
    with pytest.raises(RasaException):
        run("action_no_such_thing", tracker_of("hi", "greet"))
    assert failures("action_no_such_thing", "not_found") >= 1


def test_a_ledger_that_is_down_keeps_the_turn_for_later(tmp_path):
    down = ARApp(load_settings({"AR_DATABASE_URL":
                                f"sqlite:///{tmp_path / 'missing' / 'ar.db'}",
                                "AR_STATE_DIR": str(tmp_path)}))
    set_ar_app(down)
    turn: dict = {}
    token = rasa_operations._turn.set(turn)
    try:
        with pytest.raises(RasaException):
            asyncio.run(rasa_operations._run_remote_action(
                RemoteAction("action_tell_balance", IN_PROCESS), CollectingOutputChannel(),
                TemplatedNaturalLanguageGenerator(DOMAIN.responses),
                tracker_of("what do we owe", "ask_balance"), DOMAIN))
    finally:
        rasa_operations._turn.reset(token)
    # As for an action server that cannot be reached: the channel answers it once back.
    assert turn["unreachable"] == "action_tell_balance"


def test_with_actions_in_process_there_is_no_action_server_to_ask_before_a_turn():
    def health_url(endpoint):
        return _health_url(SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(
            agent=SimpleNamespace(action_endpoint=endpoint)))))

    assert health_url(IN_PROCESS) is None
    assert health_url(EndpointConfig(url="http://127.0.0.1:5055/webhook")) \
        == "http://127.0.0.1:5055/health"
