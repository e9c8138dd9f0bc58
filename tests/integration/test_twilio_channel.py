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
from integrations.twilio_sender import outbox_channel
from tests.answered import wait_until_answered
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.integration.figures import open_total

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
        self._ledger: Optional[ARApp] = None

    def wait_until_answered(self, sender: Optional[str] = None) -> None:
        """Until what sender (this phone) texted is answered and its replies tried: the
        webhook acknowledges first, the turn runs after."""
        if self._ledger is None:
            self._ledger = ARApp(self.settings)
        sender = sender or self.number
        wait_until_answered(self._ledger, outbox_channel(sender), sender)

    def post(self, fields, signature: Optional[str] = "sign", wait: bool = True,
             timeout: float = 60) -> Reply:
        """Post fields (a dict, or (name, value) pairs in the order Twilio sends them),
        signed as Twilio signs them unless told otherwise; once acknowledged, wait until
        the message is answered (unless not to wait)."""
        if signature == "sign":
            signature = twilio_signature(fields)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature:
            headers["X-Twilio-Signature"] = signature
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.settings.rasa_port}{WEBHOOK_PATH}",
            urllib.parse.urlencode(fields).encode(), headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                reply = Reply(response.status, response.read().decode(),
                              response.headers.get("Content-Type", ""))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(), error.headers.get("Content-Type", ""))
        sender = dict(fields if isinstance(fields, dict) else list(fields)).get("From")
        if wait and reply.status == 200 and sender:
            self.wait_until_answered(sender.strip())
        return reply

    def fields(self, body: Optional[str], sid: Optional[str] = None) -> dict[str, str]:
        sid = sid or "SM" + uuid.uuid4().hex
        fields = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID,
                  "From": self.number, "To": SMS_NUMBER, "NumMedia": "0", "NumSegments": "1"}
        if body is not None:
            fields["Body"] = body
        return fields

    def texts(self, body: Optional[str], sid: Optional[str] = None) -> Reply:
        """Text body (signed, as Twilio posts it) and wait until it is answered."""
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


def twilio_signature(fields) -> str:
    """X-Twilio-Signature as Twilio computes it: over the public URL and every posted
    parameter, blank ones included."""
    return RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_BASE_URL + WEBHOOK_PATH, fields if isinstance(fields, dict) else _Form(fields))


class _Form(dict):
    """Posted pairs as the validator reads a Flask form: each name with all its values."""

    def __init__(self, pairs):
        super().__init__()
        for name, value in pairs:
            self.setdefault(name, []).append(value)

    def getall(self, name):
        return self[name]


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


# --- webhooks as Twilio really posts them ------------------------------------------------
# Every parameter Twilio documents for an inbound message, in the order it sends them,
# with the blanks it sends: no geographic data for most mobile numbers, no Body for a
# picture, a voice note or a location, MessagingServiceSid blank without a service.

KLAUS = "+4915112345678"  # Globex GmbH, German, WhatsApp
JOAO = "+5511987654321"  # Vandelay, Portuguese, WhatsApp
CAMILLE = "+33612345678"  # Umbrella SARL, French
MEDIA_URL = (f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"
             "MM0123456789abcdef0123456789abcdef/Media/ME0123456789abcdef0123456789abcdef")


def real_sms(sender: str, body: str, *media: tuple[str, str]) -> list[tuple[str, str]]:
    """An SMS (MMS with media) as Twilio posts it to a messaging webhook."""
    sid = ("MM" if media else "SM") + uuid.uuid4().hex
    fields = [("ToCountry", "US"), ("ToState", "CA"), ("SmsMessageSid", sid),
              ("NumMedia", str(len(media)))]
    for index, (content_type, url) in enumerate(media):
        fields += [(f"MediaContentType{index}", content_type), (f"MediaUrl{index}", url)]
    return fields + [
        ("ToCity", ""), ("FromZip", ""), ("SmsSid", sid), ("FromState", ""),
        ("SmsStatus", "received"), ("FromCity", ""), ("Body", body), ("FromCountry", "US"),
        ("To", SMS_NUMBER), ("MessagingServiceSid", ""), ("ToZip", ""),
        ("NumSegments", "1" if body else "0"), ("ReferralNumMedia", "0"),
        ("MessageSid", sid), ("AccountSid", ACCOUNT_SID), ("From", sender),
        ("ApiVersion", "2010-04-01")]


def real_whatsapp(sender: str, profile: str, message_type: str, body: str = "",
                  *extra: tuple[str, str], media: tuple[str, str] = ()) -> list[tuple[str, str]]:
    """A WhatsApp message as Twilio posts it: whatsapp:+ addresses, the profile name, the
    WhatsApp id, the message type and what that type carries."""
    sid = ("MM" if media else "SM") + uuid.uuid4().hex
    fields = [("SmsMessageSid", sid), ("NumMedia", "1" if media else "0"),
              ("ProfileName", profile)]
    if media:
        fields += [("MediaContentType0", media[0]), ("MediaUrl0", media[1])]
    return fields + [
        ("MessageType", message_type), ("SmsSid", sid), ("WaId", sender.lstrip("+")),
        ("SmsStatus", "received"), ("Body", body), ("To", WHATSAPP_SENDER),
        ("MessagingServiceSid", "MG" + "1" * 32), ("NumSegments", "1"),
        ("ReferralNumMedia", "0"), ("MessageSid", sid), ("AccountSid", ACCOUNT_SID),
        ("From", "whatsapp:" + sender), ("ApiVersion", "2010-04-01"), *extra]


def delivered(texting: Phone, fields) -> str:
    reply = texting.post(fields)
    assert reply.status == 200, reply.body
    assert "<Response/>" in reply.body
    return texting.reads()


def test_a_real_sms_with_blank_location_fields_is_answered(phone):
    jane = phone(JANE)
    assert "$16,225.50 open" in delivered(jane, real_sms(JANE, "what's our balance?"))


def test_a_real_mms_picture_without_text_gets_the_text_only_reply(phone):
    jane = phone(JANE)
    said = len(jane.transcript())
    reply = delivered(jane, real_sms(JANE, "", ("image/jpeg", MEDIA_URL)))
    assert reply == "Sorry, I can only read text. Please type your question."
    assert len(jane.transcript()) == said  # nothing reached the assistant


def test_a_real_mms_picture_with_a_caption_answers_the_caption(phone):
    jane = phone(JANE)
    reply = delivered(jane, real_sms(JANE, "is INV-2026-0101 paid?",
                                     ("image/jpeg", MEDIA_URL)))
    assert "INV-2026-0101" in reply and "only read text" not in reply


def test_a_real_whatsapp_text_is_answered_on_whatsapp_in_german(phone, assistant):
    klaus = phone("whatsapp:" + KLAUS)
    reply = delivered(klaus, real_whatsapp(
        KLAUS, "Klaus Weber", "text", "Wie hoch ist unser offener Saldo?",
        ("ChannelMetadata", json.dumps({"type": "whatsapp", "data": {"context": {
            "ProfileName": "Klaus Weber", "WaId": KLAUS.lstrip("+")}}}))))
    assert f"Globex GmbH hat einen offenen Betrag von {open_total(ARApp(assistant), 'GLOBEX-002')}" \
        in reply
    assert all(m.from_ == WHATSAPP_SENDER for m in klaus.api.sent_to(klaus.number))


def test_a_real_whatsapp_voice_note_gets_the_text_only_reply_in_german(phone):
    klaus = phone("whatsapp:" + KLAUS)
    reply = delivered(klaus, real_whatsapp(KLAUS, "Klaus Weber", "audio",
                                           media=("audio/ogg", MEDIA_URL)))
    assert reply == "Entschuldigung, ich kann nur Text lesen. Bitte schreiben Sie Ihre Frage."


def test_a_real_whatsapp_image_gets_the_text_only_reply_in_portuguese(phone):
    joao = phone("whatsapp:" + JOAO)
    reply = delivered(joao, real_whatsapp(JOAO, "João Silva", "image",
                                          media=("image/jpeg", MEDIA_URL)))
    assert reply == "Desculpe, só consigo ler texto. Por favor, escreva a sua pergunta."


def test_a_real_whatsapp_location_gets_the_text_only_reply_in_the_conversations_language(
        phone):
    camille = phone("whatsapp:" + CAMILLE)  # a French contact, writing in English
    english = delivered(camille, real_whatsapp(
        CAMILLE, "Camille", "text", "Hello, could you tell me how much we owe at the moment?"))
    assert "Umbrella SARL has" in english
    reply = delivered(camille, real_whatsapp(
        CAMILLE, "Camille", "location", "", ("Latitude", "48.8566"), ("Longitude", "2.3522"),
        ("Address", "1 Rue de Rivoli, 75001 Paris, France"), ("Label", "Bureau")))
    assert reply == "Sorry, I can only read text. Please type your question."


def test_a_forged_signature_on_a_real_whatsapp_message_is_refused(phone):
    klaus = phone("whatsapp:" + KLAUS)
    fields = real_whatsapp(KLAUS, "Klaus Weber", "text", "Was schulden wir?")
    assert klaus.post(fields, signature="bm90IGEgc2lnbmF0dXJl").status == 403
    assert klaus.post(fields, signature=None).status == 403
    assert klaus.new_messages() == []
    assert "Was schulden wir?" not in klaus.transcript()


def test_a_blank_parameter_altered_or_dropped_after_signing_is_refused(phone):
    jane = phone(JANE)
    fields = real_sms(JANE, "what's our balance?")
    signature = twilio_signature(fields)
    altered = [(n, "SAN FRANCISCO" if n == "FromCity" else v) for n, v in fields]
    dropped = [(n, v) for n, v in fields if n != "FromZip"]
    assert jane.post(altered, signature).status == 403
    assert jane.post(dropped, signature).status == 403
    assert jane.new_messages() == []
    assert jane.post(fields, signature).status == 200  # the very same post, as signed
    assert "$16,225.50 open" in jane.reads()
