"""Services down for a while in the production topology (two Rasa servers behind nginx,
PostgreSQL, Redis), with a customer texting by SMS through nginx as Twilio posts: the
customer is told at once that the message is kept, nothing is lost, and the answer comes
once the service is back. PostgreSQL down: the webhook cannot record anything, so the
message waits on the server's own disk and Twilio's answer carries the holding text
(TwiML), as no reply can be queued. Redis down: the turn cannot take its conversation
lock; the message waits in the database and the holding text goes out through Twilio."""

from __future__ import annotations

import os
import urllib.error
import xml.etree.ElementTree as ElementTree
import urllib.parse
import urllib.request
import uuid
from unittest import mock

import pytest
from twilio.request_validator import RequestValidator

from bot.messaging.holding_texts import UNAVAILABLE_TEXTS
from bot.runtime.app import ARApp
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.integration.figures import open_total
from tests.integration.test_twilio_channel import (ACCOUNT_SID, AUTH_TOKEN, SMS_NUMBER,
                                                   WEBHOOK_PATH, WHATSAPP_SENDER)

pytestmark = pytest.mark.servers

JANE, BOB = "+14155550101", "+14155550102"  # both ACME-001's contacts
HOLDING = UNAVAILABLE_TEXTS["en"]
WAIT = 120


@pytest.fixture(scope="module", autouse=True)
def twilio():
    """The fake Twilio API, in the environment before `production` starts the servers."""
    with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as api:
        env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "TWILIO_FROM_NUMBER": SMS_NUMBER, "TWILIO_WHATSAPP_FROM": WHATSAPP_SENDER,
               "TWILIO_API_BASE_URL": api.base_url}
        with mock.patch.dict(os.environ, env):
            yield api


def texts(production, number: str, body: str) -> tuple[int, str]:
    """One SMS as Twilio posts it to the public address (nginx); its answer."""
    sid = "SM" + uuid.uuid4().hex
    fields = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID,
              "From": number, "To": SMS_NUMBER, "Body": body, "NumMedia": "0"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        production.settings.public_base_url + WEBHOOK_PATH, fields)
    request = urllib.request.Request(
        production.nginx.url + WEBHOOK_PATH, urllib.parse.urlencode(fields).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def received(twilio: FakeTwilioAPI, number: str, fragment: str) -> list[str]:
    """Wait until a message holding fragment reached the number; every text it got."""
    twilio.wait_for(lambda: any(fragment in m.body for m in twilio.sent_to(number)), WAIT)
    return [m.body for m in twilio.sent_to(number)]


def test_with_postgres_down_a_text_is_kept_on_disk_and_answered_when_it_is_back(
        production, twilio):
    balance = open_total(ARApp(production.settings), "ACME-001")
    production.postgres.stop()
    try:
        status, answer = texts(production, JANE, "what's our balance?")
        assert status == 200
        assert ElementTree.fromstring(answer).findtext("Message") == HOLDING
        assert twilio.sent_to(JANE) == []  # nothing could be queued, so nothing went out
    finally:
        production.postgres.start()
    got = received(twilio, JANE, balance)
    assert sum(balance in text for text in got) == 1  # answered once
    said = [e.get("text") for e in production.events(JANE) if e.get("event") == "user"]
    assert said == ["what's our balance?"]


def test_with_redis_down_a_text_gets_the_holding_text_then_its_answer(production, twilio):
    balance = open_total(ARApp(production.settings), "ACME-001")
    production.redis.stop()
    try:
        status, _ = texts(production, BOB, "how much do we owe?")
        assert status == 200
        assert HOLDING in received(twilio, BOB, HOLDING)
        assert not any(balance in m.body for m in twilio.sent_to(BOB))
    finally:
        production.redis.start()
    got = received(twilio, BOB, balance)
    assert got.index(HOLDING) < next(i for i, t in enumerate(got) if balance in t)
    assert sum(balance in text for text in got) == 1
