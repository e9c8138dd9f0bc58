"""Text messaging rules (bot/messaging/sms.py), the channel tables they rely on
(bot/messaging/channel_store.py) and outbox delivery (integrations/outbox.py), without servers."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from bot.ledger.models import OutboundMessage
from bot.messaging import channel_store, sms
from bot.runtime.app import ARApp
from bot.settings import load_settings
from integrations.outbox import Courier
from integrations.twilio_channel import (Inbound, PostedForm, TwilioMessagingInput,
                                         reply_text, signed_by_twilio)

JANE = "+14155550101"

# --- segmenting ----------------------------------------------------------------------

ANSWER = ("Acme Corporation has $16,225.50 open. $10,825.50 of it is overdue. The oldest "
          "overdue invoice is INV-2026-0101, due Aug 1, 2026. Aging: current $5,400.00, "
          "1-30 days $3,200.00, 31-60 days $2,125.50, 61-90 days $1,500.00, 90+ days "
          "$4,000.00. Unapplied cash: $0.00. To pay, reply PAY or ask for the portal link. "
          "Would you like a statement sent to the email on file?")


def test_a_short_answer_is_one_segment_unchanged():
    assert sms.segment("You owe $120.00.", 320) == ["You owe $120.00."]


def test_a_long_answer_is_cut_between_sentences_in_reading_order():
    segments = sms.segment(ANSWER, 160)
    assert len(segments) > 1
    assert all(len(s) <= 160 for s in segments)
    assert all(s.rstrip().endswith((".", "?")) for s in segments)
    assert " ".join(segments) == ANSWER


def test_a_sentence_longer_than_a_segment_is_cut_between_words_never_inside_one():
    sentence = " ".join(f"word{n}" for n in range(100)) + "."
    segments = sms.segment(sentence, 50)
    assert all(len(s) <= 50 for s in segments)
    assert " ".join(segments).split() == sentence.split()


def test_paragraphs_stay_apart_and_pack_together_when_they_fit():
    text = "First paragraph.\n\nSecond one.\n\n" + "Third. " * 60
    segments = sms.segment(text, 320)
    assert segments[0].startswith("First paragraph.\n\nSecond one.")
    assert all(len(s) <= 320 for s in segments)
    assert "".join(segments).replace("\n", "").replace(" ", "") == \
        text.replace("\n", "").replace(" ", "")


def test_whatsapp_takes_longer_segments_than_sms():
    assert sms.segment_chars("sms") == 320
    assert sms.segment_chars("whatsapp") == 1600
    assert sms.segment(ANSWER, sms.segment_chars("whatsapp")) == [ANSWER]


# --- carrier keywords ------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, language", [
    ("STOP", sms.OPT_OUT, "en"), ("stop", sms.OPT_OUT, "en"), (" Stop! ", sms.OPT_OUT, "en"),
    ("StopAll", sms.OPT_OUT, "en"), ("unsubscribe", sms.OPT_OUT, "en"),
    ("cancel", sms.OPT_OUT, "en"), ("END", sms.OPT_OUT, "en"), ("quit.", sms.OPT_OUT, "en"),
    ("baja", sms.OPT_OUT, "es"), ("Alto", sms.OPT_OUT, "es"), ("parar", sms.OPT_OUT, "es"),
    ("arrêt", sms.OPT_OUT, "fr"), ("ARRET", sms.OPT_OUT, "fr"),
    ("stopp", sms.OPT_OUT, "de"), ("Abmelden", sms.OPT_OUT, "de"),
    ("sair", sms.OPT_OUT, "pt"), ("cancelar", sms.OPT_OUT, "pt"),
    ("START", sms.OPT_IN, "en"), ("unstop", sms.OPT_IN, "en"), ("yes", sms.OPT_IN, "en"),
    ("alta", sms.OPT_IN, "es"), ("comenzar", sms.OPT_IN, "es"), ("iniciar", sms.OPT_IN, "es"),
    ("démarrer", sms.OPT_IN, "fr"), ("DEMARRER", sms.OPT_IN, "fr"),
    ("voltar", sms.OPT_IN, "pt"),
    ("help", sms.HELP, "en"), ("AYUDA", sms.HELP, "es"), ("aide", sms.HELP, "fr"),
    ("Hilfe", sms.HELP, "de"), ("ajuda?", sms.HELP, "pt"),
])
def test_a_whole_message_keyword_is_recognised_in_its_language(text, kind, language):
    found = sms.keyword(text)
    assert (found.kind, found.language) == (kind, language)


@pytest.mark.parametrize("text, conversation, language", [
    ("parar", "pt", "pt"), ("cancelar", "es", "es"), ("iniciar", "pt", "pt"),
    ("start", "de", "de"), ("start", "fr", "en"),
])
def test_a_keyword_two_languages_share_takes_the_conversations(text, conversation,
                                                                language):
    assert sms.keyword(text, conversation).language == language


@pytest.mark.parametrize("text", [
    "please stop the reminders about invoice 30918", "stop it", "help me pay",
    "what is our balance", "", "   ", "1", None,
])
def test_a_keyword_inside_a_sentence_is_not_a_keyword(text):
    assert sms.keyword(text) is None


@pytest.mark.parametrize("text, reply_word", [
    ("STOP", "START"), ("BAJA", "ALTA"), ("ARRÊT", "DEMARRER"), ("STOPP", "START"),
    ("SAIR", "VOLTAR"),
])
def test_the_opt_out_confirmation_is_in_the_keywords_language_and_says_how_to_return(
        text, reply_word):
    reply = sms.keyword_reply(sms.keyword(text), "Northwind Supply", "ar@example.com")
    assert "Northwind Supply" in reply and reply_word in reply


def test_help_says_who_we_are_and_how_to_reach_a_person():
    reply = sms.keyword_reply(sms.keyword("hilfe"), "Northwind Supply", "ar@example.com")
    assert "Northwind Supply" in reply and "ar@example.com" in reply and "Debitorenbuchhaltung" in reply


# --- numbered choices ------------------------------------------------------------------

BUTTONS = [{"title": "Whole balance", "payload": "/plan{\"amount\": \"all\"}"},
           {"title": "Part of it", "payload": "/plan_part"},
           {"title": "Talk to a person", "payload": "/human_handoff"}]


def test_buttons_read_as_numbered_choices_with_how_to_pick():
    text = sms.numbered_choices("How much would you like to put on the plan?", BUTTONS)
    assert text.splitlines() == ["How much would you like to put on the plan?",
                                 "1. Whole balance", "2. Part of it", "3. Talk to a person",
                                 "Reply 1, 2 or 3"]


@pytest.mark.parametrize("language, prompt", [
    ("es", "Responda 1, 2 o 3"), ("fr", "Répondez 1, 2 ou 3"),
    ("de", "Antworten Sie 1, 2 oder 3"), ("pt", "Responda 1, 2 ou 3"), (None, "Reply 1, 2 or 3"),
])
def test_the_choice_prompt_is_in_the_conversations_language(language, prompt):
    assert sms.choices_prompt(3, language) == prompt


def test_two_choices_and_one_choice_read_naturally():
    assert sms.choices_prompt(2) == "Reply 1 or 2"
    assert sms.choices_prompt(1) == "Reply 1"


def test_rasa_replies_become_one_text_with_choices_and_links():
    text, buttons = reply_text([
        {"recipient_id": JANE, "text": "Here is your statement."},
        {"recipient_id": JANE, "image": "https://files.example.com/statement.png"},
        {"recipient_id": JANE, "text": "Anything else?", "buttons": BUTTONS[:2]},
    ], "en")
    assert text == ("Here is your statement.\n\nhttps://files.example.com/statement.png\n\n"
                    "Anything else?\n1. Whole balance\n2. Part of it\nReply 1 or 2")
    assert [b["payload"] for b in buttons] == ["/plan{\"amount\": \"all\"}", "/plan_part"]


def test_a_number_selects_the_offered_choice_and_nothing_else(db, now):
    with db.session() as session:
        channel_store.offer_choices(session, "sms", JANE, BUTTONS, now)
    with db.session() as session:
        assert channel_store.chosen(session, "sms", JANE, " 2. ")["payload"] == "/plan_part"
        assert channel_store.chosen(session, "sms", JANE, "4") is None
        assert channel_store.chosen(session, "sms", JANE, "2 please") is None
        assert channel_store.chosen(session, "whatsapp", "whatsapp:" + JANE, "2") is None
        channel_store.offer_choices(session, "sms", JANE, [], now)
    with db.session() as session:
        assert channel_store.chosen(session, "sms", JANE, "2") is None


# --- channel tables --------------------------------------------------------------------

def test_a_provider_retry_of_the_same_delivery_is_recognised(db, now):
    with db.session() as session:
        assert channel_store.first_delivery(session, "twilio", "SM1", now)
        assert not channel_store.first_delivery(session, "twilio", "SM1", now)
        assert channel_store.first_delivery(session, "twilio", "SM2", now)


def test_opt_out_is_stored_per_channel_and_address_and_can_be_undone(db, now):
    with db.session() as session:
        channel_store.set_opt_out(session, "sms", JANE, True, "STOP", now)
    with db.session() as session:
        assert channel_store.is_opted_out(session, "sms", JANE)
        assert not channel_store.is_opted_out(session, "whatsapp", "whatsapp:" + JANE)
        channel_store.set_opt_out(session, "sms", JANE, False, "START", now)
    with db.session() as session:
        assert not channel_store.is_opted_out(session, "sms", JANE)


def test_an_opt_out_withdraws_replies_still_waiting(db, now):
    with db.session() as session:
        channel_store.queue_replies(session, "sms", JANE, ["one", "two"], now)
        channel_store.queue_replies(session, "sms", "+15550000000", ["other"], now)
        assert channel_store.suppress_pending(session, "sms", JANE) == 2
    with db.session() as session:
        assert channel_store.pending_for(session, "sms", JANE) == []
        assert [m.body for m in channel_store.pending_for(session, "sms", "+15550000000")] \
            == ["other"]


def test_a_failed_send_is_retried_later_with_growing_delays_then_given_up(db, now):
    with db.session() as session:
        [message] = channel_store.queue_replies(session, "sms", JANE, ["hello"], now)
        assert channel_store.mark_failed(session, message.id, "HTTP 500", now, 2)
        assert channel_store.due_recipients(session, now) == []
        assert channel_store.due_recipients(session, now + timedelta(seconds=2)) == \
            [("sms", JANE)]
        assert channel_store.mark_failed(session, message.id, "HTTP 500", now, 2)
        assert channel_store.due_recipients(session, now + timedelta(seconds=7)) == []
        assert channel_store.due_recipients(session, now + timedelta(seconds=8)) == \
            [("sms", JANE)]
        outcomes = [channel_store.mark_failed(session, message.id, "HTTP 500", now)
                    for _ in range(channel_store.MAX_SEND_ATTEMPTS - 2)]
        assert outcomes[-1] is False and all(outcomes[:-1])
        assert channel_store.pending_for(session, "sms", JANE) == []



def test_what_goes_to_the_ar_team_is_never_given_up_and_retried_at_most_an_hour_apart(db, now):
    """A handoff card must reach the collectors however long Slack is down."""
    card = channel_store.AR_TEAM_CHANNEL
    with db.session() as session:
        [message] = channel_store.queue_replies(session, card, "HND-1", ["{}"], now)
        outcomes = [channel_store.mark_failed(session, message.id, "HTTP 503", now)
                    for _ in range(channel_store.MAX_SEND_ATTEMPTS * 3)]
        assert all(outcomes)
        assert [m.id for m in channel_store.pending_for(session, card, "HND-1")] == [message.id]
        assert channel_store.due_recipients(session, now + timedelta(minutes=59)) == []
        assert channel_store.due_recipients(session, now + timedelta(hours=1)) == [(card, "HND-1")]

# --- outbox delivery -------------------------------------------------------------------

class Phone:
    """A send function that can be told to fail, recording what got through."""

    def __init__(self, failures: int = 0):
        self.received: list[tuple[str, str]] = []
        self.failures = failures

    async def send(self, recipient: str, body: str) -> str:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("HTTP 500 from the provider")
        self.received.append((recipient, body))
        return f"SM{len(self.received)}"


@pytest.fixture
def ledger_app(db, settings) -> ARApp:
    app = ARApp(settings)
    app.database = db
    return app


def _queue(app: ARApp, bodies: list[str]) -> None:
    with app.session() as session:
        channel_store.queue_replies(session, "sms", JANE, bodies, app.now())


def test_the_outbox_sends_in_order_and_marks_what_went_out(ledger_app):
    phone = Phone()
    _queue(ledger_app, ["1/3", "2/3", "3/3"])
    courier = Courier(ledger_app, {"sms": phone.send}, first_retry_seconds=0)
    assert asyncio.run(courier.deliver("sms", JANE)) == 3
    assert phone.received == [(JANE, "1/3"), (JANE, "2/3"), (JANE, "3/3")]
    assert asyncio.run(courier.deliver("sms", JANE)) == 0


def test_a_failed_send_holds_back_later_ones_and_goes_out_on_retry(ledger_app):
    phone = Phone(failures=1)
    _queue(ledger_app, ["first", "second"])
    courier = Courier(ledger_app, {"sms": phone.send}, first_retry_seconds=0)
    assert asyncio.run(courier.deliver("sms", JANE)) == 0
    assert phone.received == []
    asyncio.run(courier.deliver_due())
    assert phone.received == [(JANE, "first"), (JANE, "second")]


def test_the_outbox_is_read_and_written_off_the_event_loop(ledger_app, monkeypatch):
    """The event loop answers webhooks while replies go out: no outbox transaction (a
    write can wait for another server's lock) runs on it."""
    phone = Phone(failures=1)
    _queue(ledger_app, ["first", "second"])
    courier = Courier(ledger_app, {"sms": phone.send}, first_retry_seconds=0)
    opened_on: list[bool] = []
    session = ledger_app.session

    def watched_session():
        opened_on.append(threading.current_thread() is threading.main_thread())
        return session()

    monkeypatch.setattr(ledger_app, "session", watched_session)
    assert asyncio.run(courier.deliver("sms", JANE)) == 0  # the provider failed once
    asyncio.run(courier.deliver_due())
    assert phone.received == [(JANE, "first"), (JANE, "second")]
    assert len(opened_on) >= 6 and not any(opened_on)


def test_during_an_outage_new_replies_do_not_spend_the_first_ones_tries(ledger_app):
    """Each new reply asks the courier to deliver; a failed reply waiting for its retry
    time is not tried again before it (else a chatty customer's first answer would be
    given up within seconds of an outage and the later ones would overtake it)."""
    phone = Phone(failures=100)  # the provider is down
    _queue(ledger_app, ["first"])
    courier = Courier(ledger_app, {"sms": phone.send}, first_retry_seconds=60)
    asyncio.run(courier.deliver("sms", JANE))
    for n in range(8):
        _queue(ledger_app, [f"later {n}"])
        assert asyncio.run(courier.deliver("sms", JANE)) == 0
    with ledger_app.session() as session:
        first = channel_store.pending_for(session, "sms", JANE)[0]
        assert (first.body, first.attempts) == ("first", 1)
        session.get(OutboundMessage, first.id).next_attempt_at = ledger_app.now()
    phone.failures = 0  # the provider is back, and the retry time has come
    asyncio.run(courier.deliver_due())
    assert [body for _, body in phone.received] == ["first"] + [f"later {n}" for n in range(8)]


def test_the_outbox_leaves_other_channels_to_their_own_courier(ledger_app):
    with ledger_app.session() as session:
        channel_store.queue_replies(session, "slack", "U123", ["hi"], ledger_app.now())
    phone = Phone()
    asyncio.run(Courier(ledger_app, {"sms": phone.send}, 0).deliver_due())
    assert phone.received == []
    with ledger_app.session() as session:
        assert len(channel_store.pending_for(session, "slack", "U123")) == 1


# --- the connector, without servers ------------------------------------------------------

def _request(form, signature: str | None, query: str = "") -> SimpleNamespace:
    """A request as sanic hands it over: the raw body, and request.form with the blank
    values dropped, as sanic 21.12 drops them."""
    pairs = list(form.items()) if isinstance(form, dict) else list(form)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    dropped: dict[str, list[str]] = {}
    for name, value in pairs:
        if value:
            dropped.setdefault(name, []).append(value)
    return SimpleNamespace(headers=headers, path="/webhooks/twilio/webhook",
                           query_string=query, body=urlencode(pairs).encode(), form=dropped)


def _signature(url: str, form) -> str:
    return RequestValidator("secret-token").compute_signature(
        url, form if isinstance(form, dict) else PostedForm(form))


def _signed(request) -> bool:
    settings = load_settings({"TWILIO_AUTH_TOKEN": "secret-token",
                              "PUBLIC_BASE_URL": "https://ar.example.com/"})
    return signed_by_twilio(request, PostedForm.of(request), settings)


PUBLIC = "https://ar.example.com/webhooks/twilio/webhook"


def test_a_webhook_is_trusted_only_when_signed_for_the_public_url():
    form = {"From": JANE, "Body": "balance", "MessageSid": "SM1"}
    assert _signed(_request(form, _signature(PUBLIC, form)))
    assert _signed(_request(form, _signature(PUBLIC + "?v=2", form), "v=2"))
    assert not _signed(_request(form, _signature(PUBLIC, form), "v=2"))
    assert not _signed(
        _request(form, _signature("http://127.0.0.1:5005/webhooks/twilio/webhook", form)))
    assert not _signed(_request({**form, "Body": "STOP"}, _signature(PUBLIC, form)))
    assert not _signed(_request(form, None))


def test_blank_parameters_are_part_of_what_twilio_signed():
    form = {"From": JANE, "Body": "", "FromCity": "", "FromZip": "", "NumMedia": "1",
            "MessagingServiceSid": "", "MessageSid": "SM2"}
    signature = _signature(PUBLIC, form)
    assert _signed(_request(form, signature))
    assert not _signed(_request({**form, "FromCity": "PARIS"}, signature))
    assert not _signed(_request({k: v for k, v in form.items() if k != "FromZip"},
                                signature))
    assert not _signed(_request({**form, "ToCity": ""}, signature))  # one added, blank


def test_repeated_parameters_are_signed_with_every_value():
    pairs = [("From", JANE), ("Body", "hi"), ("MediaUrl", "https://a.example/1"),
             ("MediaUrl", "https://a.example/2"), ("MessageSid", "SM3")]
    signature = _signature(PUBLIC, pairs)
    assert _signed(_request(pairs, signature))
    assert not _signed(_request(pairs[:-2] + pairs[-1:], signature))


def test_the_message_is_read_from_the_form_as_posted():
    form = PostedForm([("From", " whatsapp:+4915112345678 "), ("Body", ""), ("NumMedia", "1"),
                       ("MessageType", "audio"), ("SmsMessageSid", "SM4"), ("Body", "x")])
    inbound = Inbound.from_form(form)
    assert (inbound.sender, inbound.body, inbound.media_count, inbound.message_sid,
            inbound.message_type) == ("whatsapp:+4915112345678", "", 1, "SM4", "audio")
    assert inbound.channel == "whatsapp"


def test_without_twilio_settings_the_webhook_refuses_and_says_why(tmp_path, caplog):
    channel = TwilioMessagingInput(load_settings({"AR_STATE_DIR": str(tmp_path)}))
    assert channel.get_output_channel() is None
    hook = channel.blueprint(on_new_message=None)
    webhook = next(r.handler for r in hook._future_routes if r.uri == "/webhook")
    form = {"From": JANE, "Body": "balance", "MessageSid": "SM1"}
    answer = asyncio.run(webhook(_request(form, None)))
    assert answer.status == 403
    assert "Twilio is not configured" in caplog.text
