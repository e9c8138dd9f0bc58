"""SMS and WhatsApp end to end: the real Rasa and action servers with the Twilio connector,
signed webhooks as Twilio posts them, and replies sent with the real twilio SDK to a fake
of Twilio's REST API, which records what each phone would have received."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Optional
from unittest import mock

import pytest
from twilio.request_validator import RequestValidator

from bot.messaging import channel_store
from bot.runtime.app import ARApp
from tests.fakes.twilio_api import FakeTwilioAPI

# The `assistant` fixture (real Rasa and action servers) comes from tests/integration/conftest.py.

pytestmark = pytest.mark.servers

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-test-auth-token"
SMS_NUMBER = "+15005550006"
WHATSAPP_SENDER = "whatsapp:+14155238886"
# Twilio calls the public address; the servers listen on loopback behind it.
PUBLIC_BASE_URL = "https://ar.example.com"
WEBHOOK_PATH = "/webhooks/twilio/webhook"
JANE = "+14155550101"


@pytest.fixture(scope="module", autouse=True)
def twilio_api():
    """The fake Twilio API, and the settings that point the assistant at it (in place
    before the `assistant` fixture starts the servers)."""
    with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as api:
        env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "TWILIO_FROM_NUMBER": SMS_NUMBER, "TWILIO_WHATSAPP_FROM": WHATSAPP_SENDER,
               "TWILIO_API_BASE_URL": api.base_url, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
               "OUTBOX_FIRST_RETRY_SECONDS": "1", "OUTBOX_POLL_SECONDS": "0.5"}
        with mock.patch.dict(os.environ, env):
            yield api


class Reply:
    def __init__(self, status: int, body: str, content_type: str):
        self.status, self.body, self.content_type = status, body, content_type


class Phone:
    """One phone texting the assistant through Twilio."""

    def __init__(self, settings, api: FakeTwilioAPI, number: str):
        self.settings, self.api, self.number = settings, api, number
        self._read = 0

    def post(self, fields: dict[str, str], signature: Optional[str] = "sign") -> Reply:
        if signature == "sign":
            signature = RequestValidator(AUTH_TOKEN).compute_signature(
                PUBLIC_BASE_URL + WEBHOOK_PATH, fields)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature:
            headers["X-Twilio-Signature"] = signature
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.settings.rasa_port}{WEBHOOK_PATH}",
            urllib.parse.urlencode(fields).encode(), headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Reply(response.status, response.read().decode(),
                             response.headers.get("Content-Type", ""))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(), error.headers.get("Content-Type", ""))

    def fields(self, body: Optional[str], sid: Optional[str] = None) -> dict[str, str]:
        sid = sid or "SM" + uuid.uuid4().hex
        fields = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID,
                  "From": self.number, "To": SMS_NUMBER, "NumMedia": "0", "NumSegments": "1"}
        if body is not None:
            fields["Body"] = body
        return fields

    def texts(self, body: Optional[str], sid: Optional[str] = None) -> Reply:
        reply = self.post(self.fields(body, sid))
        assert reply.status == 200, reply.body
        assert reply.content_type.startswith("text/xml") and "<Response/>" in reply.body
        return reply

    def new_messages(self) -> list:
        """What the phone received since last asked, in order."""
        received = self.api.sent_to(self.number)
        new, self._read = received[self._read:], len(received)
        return new

    def reads(self) -> str:
        return " ".join(m.body for m in self.new_messages())

    def asks(self, text: str) -> str:
        self.texts(text)
        return self.reads()

    def reads_whole_answer(self) -> str:
        """What arrives until it is the whole of the bot's last answer, in order."""
        received: list = []

        def whole() -> bool:
            received.extend(self.new_messages())
            return _words(" ".join(m.body for m in received)) == _words(self.last_answer())

        assert self.api.wait_for(whole), "the whole answer never arrived"
        return " ".join(m.body for m in received)

    def _events(self) -> list[dict]:
        url = (f"http://127.0.0.1:{self.settings.rasa_port}/conversations/"
               f"{urllib.parse.quote(self.number, safe='+:')}/tracker?token={self.settings.rasa_auth_token}")
        with urllib.request.urlopen(url, timeout=30) as response:
            return [e for e in json.load(response)["events"] if e["event"] in ("user", "bot")]

    def transcript(self) -> list[str]:
        return [e.get("text") or "" for e in self._events()]

    def last_answer(self) -> str:
        """Everything the bot said after the last message, as one text."""
        events = self._events()
        last_user = max(i for i, e in enumerate(events) if e["event"] == "user")
        return " ".join(e.get("text") or "" for e in events[last_user + 1:])


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def phone(assistant, twilio_api):
    def at(number: str) -> Phone:
        texting = Phone(assistant, twilio_api, number)
        texting.new_messages()  # start from now
        return texting

    return at


def test_jane_texting_her_balance_question_gets_the_figures_by_sms(phone):
    jane = phone(JANE)
    jane.texts("hi, what's our current balance?")
    messages = jane.new_messages()
    assert messages and all(m.from_ == SMS_NUMBER for m in messages)
    reply = " ".join(m.body for m in messages)
    assert "$16,225.50 open" in reply and "$10,825.50" in reply and "overdue" in reply


def test_the_same_question_over_whatsapp_is_answered_on_whatsapp(phone):
    jane = phone("whatsapp:" + JANE)
    reply = jane.asks("what do we owe?")
    assert "$16,225.50 open" in reply and "$10,825.50" in reply
    assert all(m.from_ == WHATSAPP_SENDER for m in jane.api.sent_to(jane.number))


def test_a_reply_longer_than_one_sms_arrives_whole_in_sentence_sized_parts_in_order(phone):
    jane = phone(JANE)
    jane.texts("how much do we owe and what is overdue?")
    segments = [m.body for m in jane.new_messages()]
    whole = " ".join(jane.last_answer().split())
    if len(whole) <= 320:
        pytest.fail(f"the balance answer fits one SMS ({len(whole)} chars); pick a longer one")
    assert len(segments) > 1 and all(len(s) <= 320 for s in segments)
    assert " ".join(" ".join(segments).split()) == whole


def test_a_forged_signature_is_refused_and_nothing_is_sent(phone):
    jane = phone(JANE)
    reply = jane.post(jane.fields("what's our balance?"), signature="bm90IGEgc2lnbmF0dXJl")
    assert reply.status == 403
    signed_for_other_text = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_BASE_URL + WEBHOOK_PATH, jane.fields("hello"))
    assert jane.post(jane.fields("what's our balance?"), signed_for_other_text).status == 403
    assert jane.new_messages() == []


def test_an_unsigned_request_is_refused_and_never_reaches_the_bot(phone):
    stranger = phone("+15005550111")
    reply = stranger.post(stranger.fields("what's our balance?"), signature=None)
    assert reply.status == 403
    assert stranger.new_messages() == []
    assert stranger.transcript() == []


def test_a_twilio_retry_of_the_same_message_is_answered_once(phone):
    jane = phone(JANE)
    fields = jane.fields("is INV-2026-0101 paid?")
    jane.texts(fields["Body"], sid=fields["MessageSid"])
    first = jane.new_messages()
    retry = jane.texts(fields["Body"], sid=fields["MessageSid"])
    assert first and "INV-2026-0101" in " ".join(m.body for m in first)
    assert "<Response/>" in retry.body
    assert jane.new_messages() == []
    assert jane.transcript().count("is INV-2026-0101 paid?") == 1


def test_a_message_without_text_gets_a_short_answer_and_no_error(phone):
    jane = phone(JANE)
    jane.texts(None)
    assert "only read text" in jane.reads()
    picture = {**jane.fields(None), "NumMedia": "1", "MediaContentType0": "image/jpeg",
               "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC/Media/ME1"}
    assert jane.post(picture).status == 200
    assert "only read text" in jane.reads()


def test_a_webhook_without_a_sender_is_a_bad_request_not_a_crash(phone):
    jane = phone(JANE)
    fields = jane.fields("what's our balance?")
    del fields["From"]
    reply = jane.post(fields)
    assert reply.status == 400 and "From" in reply.body
    assert jane.new_messages() == []


def test_stop_is_confirmed_then_silence_until_start(phone):
    bob = phone("+14155550102")  # Bob Smith, ACME-001
    confirmation = bob.asks("STOP")
    assert "unsubscribed" in confirmation and "START" in confirmation
    assert bob.asks("what's our balance?") == ""
    assert bob.asks("help") == ""
    assert "what's our balance?" not in bob.transcript()
    assert "subscribed again" in bob.asks("start")
    assert "$16,225.50 open" in bob.asks("what's our balance?")


def test_keywords_are_answered_in_their_language(phone):
    lucia = phone("+34612345678")  # SOYLENT-004, Spanish
    assert "ALTA" in lucia.asks("Baja")
    assert "Vuelve a recibir" in lucia.asks("alta")
    help_text = lucia.asks("AYUDA")
    assert "persona" in help_text and "AGENTE" in help_text


def test_stop_inside_a_sentence_still_reaches_the_assistant(phone):
    jane = phone(JANE)
    reply = jane.asks("please stop the reminders about invoice 30918")
    assert reply and "unsubscribed" not in reply
    assert "please stop the reminders about invoice 30918" in jane.transcript()


def test_a_failed_send_is_retried_from_the_outbox_until_delivered(phone, twilio_api):
    jane = phone(JANE)
    failed_before = twilio_api.failed_attempts
    twilio_api.fail_next(2)
    jane.texts("what's our balance please")
    assert "what's our balance please" in jane.transcript()
    reply = jane.reads_whole_answer()
    assert "$16,225.50 open" in reply
    assert twilio_api.failed_attempts == failed_before + 2


def test_a_bare_number_picks_the_choice_last_offered(phone, assistant):
    bob = phone("+14155550102")  # Bob Smith, ACME-001
    with ARApp(assistant).session() as session:
        channel_store.offer_choices(session, "sms", bob.number, [
            {"title": "Talk to a person", "payload": "/request_human"},
            {"title": "Our balance", "payload": "/ask_balance"}], ARApp(assistant).now())
    assert "$16,225.50 open" in bob.asks("2")
    assert "/ask_balance" in bob.transcript()


def test_an_unknown_number_gets_general_help_and_never_a_figure(phone):
    stranger = phone("+15005550199")
    reply = stranger.asks("what's our balance? invoice INV-2026-0101")
    assert reply
    assert "$" not in reply and "16,225.50" not in reply
