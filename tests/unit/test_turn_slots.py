"""A worker works on a few turns at once (RASA_TURNS_AT_ONCE); the others wait their
turn, in the order they came, and every one is answered (integrations/rasa_operations)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from bot.settings import load_settings
from integrations import rasa_operations
from integrations.per_process import PerProcess


def _turns_through_the_agent(at_once: int, messages: int, monkeypatch) -> tuple[int, list]:
    monkeypatch.setattr(rasa_operations, "TURN_SLOTS",
                        PerProcess(lambda: rasa_operations.turn_slots(at_once)))
    under_way, most, started = 0, 0, []

    async def agent_turn(_agent, message):
        nonlocal under_way, most
        under_way += 1
        most = max(most, under_way)
        started.append(message.text)
        await asyncio.sleep(0.01)  # the turn's awaits: other turns may run meanwhile
        under_way -= 1
        return [{"recipient_id": message.sender_id, "text": f"answer to {message.text}"}]

    async def customers():
        return await asyncio.gather(*(
            rasa_operations._handle_message(None, SimpleNamespace(
                sender_id=f"+1415555010{n}", text=f"m{n}", metadata={},
                input_channel="rest", output_channel=None), _original=agent_turn)
            for n in range(messages)))

    answers = asyncio.run(customers())
    assert [a[0]["text"] for a in answers] == [f"answer to m{n}" for n in range(messages)]
    return most, started


def test_a_worker_works_on_at_most_its_turns_at_once_the_rest_in_order(monkeypatch):
    most, started = _turns_through_the_agent(2, 6, monkeypatch)
    assert most == 2
    assert started == [f"m{n}" for n in range(6)]


def test_no_limit_lets_every_turn_run_at_once(monkeypatch):
    most, _ = _turns_through_the_agent(0, 6, monkeypatch)
    assert most == 6


@pytest.mark.parametrize("env, at_once", [({}, 3), ({"RASA_TURNS_AT_ONCE": "0"}, 0),
                                          ({"RASA_TURNS_AT_ONCE": "8"}, 8)])
def test_turns_at_once_is_a_setting(tmp_path, env, at_once):
    assert load_settings({"AR_STATE_DIR": str(tmp_path), **env}).turns_at_once == at_once
