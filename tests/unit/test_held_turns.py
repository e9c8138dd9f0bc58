"""The queue of kept SMS, WhatsApp and Slack messages as a server drains it
(integrations/held_turns.SenderGate), against an action server health endpoint on
loopback that counts how often it is asked."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from aiohttp import web

from bot.messaging import held_messages
from bot.messaging.holding_texts import UNAVAILABLE
from bot.runtime.app import ARApp
from integrations.held_turns import SenderGate, rate_limit
from integrations.rasa_operations import TurnNotSaved

JANE = "+14155550101"


class ActionServerHealth:
    """/health on loopback: 200 while up, 503 while down; counts the checks."""

    def __init__(self):
        self.up, self.checks = True, 0

    async def health(self, _request):
        self.checks += 1
        return web.json_response({"status": "ok" if self.up else "down"},
                                 status=200 if self.up else 503)

    async def __aenter__(self):
        app = web.Application()
        app.router.add_get("/health", self.health)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = SimpleNamespace(url=f"http://127.0.0.1:{port}/webhook")
        self.request = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(
            agent=SimpleNamespace(action_endpoint=endpoint))))
        return self

    async def __aexit__(self, *_exc):
        await self._runner.cleanup()


class Channel:
    """Answers kept messages as a channel does; fails while told to."""

    def __init__(self, app: ARApp):
        self.app, self.answered, self.notices, self.failing = app, [], [], False

    async def answer(self, _request, held) -> None:
        """As a channel does: its replies queued, the message marked answered (the gate
        finishes it)."""
        if self.failing:
            raise TurnNotSaved("action action_tell_balance could not be reached")
        self.answered.append(held.payload["text"])
        with self.app.session() as session:
            held_messages.answer_queued(session, held.id)

    async def notify(self, _request, _channel, sender, payload, notice) -> None:
        self.notices.append((sender, payload["text"], notice))


@pytest.fixture
def ledger_app(db, settings) -> ARApp:
    app = ARApp(settings)
    app.database = db
    return app


def _queue(app: ARApp, *texts: str) -> None:
    for text in texts:
        with app.session() as session:
            held_messages.queue(session, rate_limit(app), "sms", JANE, {"text": text},
                                app.now())


async def _with_health(test):
    async with ActionServerHealth() as health:
        return await test(health)


def test_a_channel_that_keeps_failed_turns_asks_the_action_server_once_per_moment(ledger_app):
    channel = Channel(ledger_app)

    async def test(health):
        kept = SenderGate(ledger_app, ("sms",), channel.answer, channel.notify,
                          failed_turns_kept=True)
        _queue(ledger_app, "what do we owe?", "and INV-1001?", "thanks")
        assert await kept.drain_sender(health.request, "sms", JANE) == 3
        kept_checks = health.checks
        await kept.close()
        each = SenderGate(ledger_app, ("sms",), channel.answer, channel.notify)
        _queue(ledger_app, "one more", "and another")
        assert await each.drain_sender(health.request, "sms", JANE) == 2
        await each.close()
        return kept_checks, health.checks - kept_checks

    kept_checks, each_checks = asyncio.run(_with_health(test))
    assert channel.answered == ["what do we owe?", "and INV-1001?", "thanks", "one more",
                                "and another"]
    assert kept_checks == 1  # not once per message
    assert each_checks >= 2  # a gate that does not keep failed turns asks every time


def test_after_a_turn_failed_for_the_action_server_it_is_asked_again_at_once(ledger_app):
    channel = Channel(ledger_app)

    async def test(health):
        gate = SenderGate(ledger_app, ("sms",), channel.answer, channel.notify,
                          failed_turns_kept=True)
        _queue(ledger_app, "what do we owe?")
        channel.failing = True  # the action server went down after its last check
        assert await gate.drain_sender(health.request, "sms", JANE) == 0
        health.up, channel.failing = False, False
        before = health.checks
        assert await gate.drain_sender(health.request, "sms", JANE) == 0
        asked = health.checks - before
        health.up = True
        answered = await gate.drain_sender(health.request, "sms", JANE)
        await gate.close()
        return asked, answered

    asked, answered = asyncio.run(_with_health(test))
    assert asked == 1  # not taken as up from the check before the failure
    assert channel.notices == [(JANE, "what do we owe?", UNAVAILABLE)]  # told once
    assert answered == 1 and channel.answered == ["what do we owe?"]  # nothing lost


def _claimed_at_receipt(app: ARApp, text: str):
    with app.session() as session:
        return SenderGate(app, ("sms",), None).queue(session, "sms", JANE, {"text": text})


def test_a_message_claimed_at_receipt_is_answered_then_the_rest_in_order(ledger_app):
    channel = Channel(ledger_app)
    first = _claimed_at_receipt(ledger_app, "what do we owe?")
    behind = _claimed_at_receipt(ledger_app, "and INV-1001?")
    assert first.claimed is not None and behind.claimed is None  # it waits behind

    async def test(health):
        gate = SenderGate(ledger_app, ("sms",), channel.answer, channel.notify,
                          failed_turns_kept=True)
        other = SenderGate(ledger_app, ("sms",), channel.answer, channel.notify)
        # Another server finds the sender busy: the message is this server's to answer.
        assert await other.drain_sender(health.request, "sms", JANE) == 0
        answered = await gate.drain_sender(health.request, "sms", JANE, first.claimed)
        await gate.close()
        await other.close()
        return answered

    assert asyncio.run(_with_health(test)) == 2
    assert channel.answered == ["what do we owe?", "and INV-1001?"]
    with ledger_app.session() as session:  # both finished: nothing kept any more
        assert held_messages.waiting(session, "sms", JANE) == 0
        assert held_messages.settled(session, "sms", JANE)


def test_a_message_claimed_at_receipt_with_the_assistant_down_waits_told_once(ledger_app):
    channel = Channel(ledger_app)
    first = _claimed_at_receipt(ledger_app, "what do we owe?")

    async def test(health):
        gate = SenderGate(ledger_app, ("sms",), channel.answer, channel.notify,
                          failed_turns_kept=True)
        health.up = False
        down = await gate.drain_sender(health.request, "sms", JANE, first.claimed)
        health.up = True
        gate._up_at = None
        up = await gate.drain_sender(health.request, "sms", JANE)
        await gate.close()
        return down, up

    assert asyncio.run(_with_health(test)) == (0, 1)
    assert channel.notices == [(JANE, "what do we owe?", UNAVAILABLE)]
    assert channel.answered == ["what do we owe?"]  # kept, then answered once
