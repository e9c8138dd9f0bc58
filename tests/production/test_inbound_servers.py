"""SMS through nginx to two Rasa servers sharing PostgreSQL and Redis: consecutive messages
of one phone reach different servers, each acknowledged at once, and every one is answered
once, in the order received, never two of one phone at a time (the per-sender queue in the
shared ledger database, claimed by conditional UPDATEs)."""

from __future__ import annotations

import os
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from twilio.request_validator import RequestValidator

from bot.runtime.app import ARApp
from tests.answered import wait_until_answered
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.production.conftest import turns

pytestmark = pytest.mark.servers

ACCOUNT_SID, AUTH_TOKEN = "AC" + "2" * 32, "two-servers-twilio-token"
SMS_NUMBER = "+15005550006"
PATH = "/webhooks/twilio/webhook"
MESSAGES = ("hello", "what can you do?", "thanks", "hi there")
PHONES = 6
GAP_SECONDS = 0.3  # a phone's next message follows before the answer to the one before


@pytest.fixture(scope="module", autouse=True)
def twilio():
    """The fake Twilio API, set before the topology starts its servers."""
    with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as api:
        with mock.patch.dict(os.environ, {
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": SMS_NUMBER, "TWILIO_API_BASE_URL": api.base_url}):
            yield api


def texted(production, phone: str, body: str) -> tuple[int, str, float, float]:
    """Post an SMS as Twilio does, through nginx: (status, upstream, when it was posted,
    when it was acknowledged)."""
    sid = "SM" + uuid.uuid4().hex
    fields = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID,
              "From": phone, "To": SMS_NUMBER, "Body": body, "NumMedia": "0"}
    url = production.settings.public_base_url + PATH  # nginx, the address "Twilio" calls
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, fields)
    request = urllib.request.Request(url, urllib.parse.urlencode(fields).encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers.get("X-AR-Upstream", ""), started, \
            time.monotonic()


def test_sms_across_two_servers_answered_once_each_in_the_order_received(production, twilio):
    phones = [f"+1555{n:03d}{uuid.uuid4().int % 10000:04d}" for n in range(PHONES)]

    def send(phone: str, index: int, body: str):
        time.sleep(index * GAP_SECONDS)
        return texted(production, phone, body)

    with ThreadPoolExecutor(max_workers=PHONES * len(MESSAGES)) as pool:
        posted = list(pool.map(lambda job: send(*job), [
            (phone, i, body) for phone in phones for i, body in enumerate(MESSAGES)]))
    assert [status for status, *_ in posted] == [200] * len(posted)
    upstreams = {upstream for _, upstream, _, _ in posted}
    print(f"\n{len(posted)} SMS acknowledged by {len(upstreams)} servers, slowest in "
          f"{max(end - start for *_, start, end in posted) * 1000:.0f} ms")
    assert len(upstreams) == 2, upstreams  # both servers took some
    ledger = ARApp(production.settings)
    spans = {(phones[n // len(MESSAGES)], MESSAGES[n % len(MESSAGES)]): (start, end)
             for n, (*_, start, end) in enumerate(posted)}
    ordered = overlapping = 0
    for phone in phones:
        wait_until_answered(ledger, "sms", phone)
        held = turns(production.events(phone))
        said = [text for text, _ in held]
        assert sorted(said) == sorted(MESSAGES), (phone, held)  # each once
        assert all(bot_said for _, bot_said in held), (phone, held)  # each answered
        # The order received: a message acknowledged before the next was posted is
        # answered before it (closer ones may reach the two servers in either order).
        for earlier, later in zip(MESSAGES, MESSAGES[1:]):
            if spans[(phone, earlier)][1] < spans[(phone, later)][0]:
                ordered += 1
                assert said.index(earlier) < said.index(later), (phone, said)
            else:
                overlapping += 1
        # what the phone received is what the transcript says, in that order, once
        received = [m.body for m in twilio.sent_to(phone)]
        assert " ".join(received).split() == " ".join(
            text for _, bot_said in held for text in bot_said).split(), (phone, received)
    print(f"{ordered} consecutive pairs acknowledged apart, answered in that order; "
          f"{overlapping} posted before the one before was acknowledged")
    assert ordered > overlapping
