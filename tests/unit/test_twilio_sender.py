"""Texts go out through the real Twilio SDK's asynchronous client (integrations
/twilio_sender.py), against a fake of Twilio's API on loopback: a send waits on the event
loop, and a Twilio that takes the message but never answers fails the send in time, for the
outbox to retry, instead of holding on for ever."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from bot.settings import load_settings
from integrations import twilio_sender
from integrations.twilio_sender import TwilioSender
from tests.fakes.twilio_api import FakeTwilioAPI

ACCOUNT, TOKEN = "AC" + "1" * 32, "t" * 32
JANE = "+14155550101"


def sender_to(base_url: str) -> TwilioSender:
    return TwilioSender(load_settings({
        "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006", "TWILIO_API_BASE_URL": base_url}))


async def closing(sender: TwilioSender, work):
    try:
        return await work
    finally:
        await sender.close()


def test_texts_reach_twilio_in_order_and_a_refusal_raises():
    with FakeTwilioAPI(ACCOUNT, TOKEN) as twilio:
        sender = sender_to(twilio.base_url)

        async def three():
            first = await sender.send(JANE, "Your balance is $1,200.00.")
            twilio.fail_next(1)
            with pytest.raises(Exception, match="500"):
                await sender.send(JANE, "Invoice INV-1001 is paid.")
            return first, await sender.send(JANE, "Invoice INV-1001 is paid.")

        first, last = asyncio.run(closing(sender, three()))
    assert first.startswith("SM") and last.startswith("SM") and first != last
    assert [(m.to, m.body) for m in twilio.messages] == [
        (JANE, "Your balance is $1,200.00."), (JANE, "Invoice INV-1001 is paid.")]


@pytest.fixture
def silent_twilio():
    """Takes connections and reads the request, never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    taken: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                taken.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in taken:
        connection.close()
    server.close()


def test_a_twilio_that_never_answers_fails_the_send_while_the_loop_goes_on(
        silent_twilio, monkeypatch):
    monkeypatch.setattr(twilio_sender, "SEND_TIMEOUT_SECONDS", 0.5)
    sender = sender_to(silent_twilio)

    async def send_and_tick():
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.ensure_future(tick())
        sending = asyncio.ensure_future(sender.send(JANE, "Your balance is $1,200.00."))
        done, _ = await asyncio.wait({sending}, timeout=10)
        ticking.cancel()
        sending.cancel()
        assert done, "the send still waits for Twilio"
        assert isinstance(sending.exception(), asyncio.TimeoutError)
        return ticks

    assert asyncio.run(closing(sender, send_and_tick())) > 5  # the loop ran meanwhile
