"""The handoff core without servers: ownership, office hours, the channel rules at send time,
the card a collector reads, and re-announcing a card nobody claimed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.handoff import service
from bot.handoff.card import CLAIM, HAND_BACK, RESOLVE, card_blocks, message_line
from bot.handoff.customer_asks import asks_for_the_bot
from bot.handoff.office_hours import OfficeHours, OfficeHoursError
from bot.handoff.relay_rules import why_not_sendable
from bot.handoff.translation import NoTranslation, translator_for
from bot.ledger.models import HandoffMessage

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)  # a Monday, 10:00 in New York


def test_office_hours_open_closed_and_next_opening_in_the_office_zone():
    hours = OfficeHours.parse("Mon-Fri 08:00-18:00 America/New_York")
    assert hours.is_open(NOW)
    friday_night = datetime(2026, 11, 28, 0, 30, tzinfo=timezone.utc)  # Fri 19:30 NY
    assert not hours.is_open(friday_night)
    opens = hours.next_opening(friday_night)
    assert (opens.weekday(), opens.hour, opens.tzinfo.key) == (0, 8, "America/New_York")


@pytest.mark.parametrize("text", ["", "weekdays", "Mon-Fri 8-18 UTC", "Mon-Fri 08:00-18:00 Mars/Base"])
def test_office_hours_that_cannot_be_read_say_what_is_expected(text):
    with pytest.raises(OfficeHoursError):
        OfficeHours.parse(text)


def test_sms_opt_out_and_whatsapp_window_stop_a_reply():
    assert "opted out of SMS" in why_not_sendable("sms", True, NOW, NOW)
    assert why_not_sendable("sms", False, None, NOW) is None
    assert why_not_sendable("whatsapp", False, NOW - timedelta(hours=23), NOW) is None
    assert "24-hour window" in why_not_sendable("whatsapp", False, NOW - timedelta(hours=25), NOW)
    assert why_not_sendable("webchat", False, None, NOW) is None


def test_claim_is_one_owner_and_closing_is_final(demo_db, jane):
    with demo_db.session() as session:
        handoff, _ = service.request_handoff(session, "+14155550101", jane, "customer_asked",
                                             channel="sms", now=NOW)
        assert service.claim(session, handoff, "U1", "Maria", NOW).done
        again = service.claim(session, handoff, "U2", "Kai", NOW)
        assert not again.done and "Maria already owns" in again.message
        assert service.open_handoff(session, "+14155550101") is handoff
        assert service.resolve(session, handoff, "plan_agreed", "slack:U1", NOW).done
        assert not service.hand_back(session, handoff, "slack:U1", NOW).done
        assert service.open_handoff(session, "+14155550101") is None
        assert not service.resolve(session, handoff, "nonsense", "slack:U1", NOW).done


def test_an_unclaimed_card_is_due_again_after_the_sla(demo_db, jane):
    with demo_db.session() as session:
        handoff, _ = service.request_handoff(session, "c1", jane, "customer_asked", now=NOW)
        handoff.card_ts, handoff.announced_at = "1.1", NOW
        assert service.due_for_reannounce(session, NOW + timedelta(minutes=14), 15) == []
        assert service.due_for_reannounce(session, NOW + timedelta(minutes=16), 15) == [handoff]
        assert service.waited_minutes(handoff, NOW + timedelta(minutes=16)) == 16


def test_an_unknown_reason_is_refused(demo_db, jane):
    with demo_db.session() as session, pytest.raises(ValueError):
        service.request_handoff(session, "c1", jane, "bored")


def _handoff(snapshot, status="requested"):
    from bot.ledger.models import HandoffRequest

    return HandoffRequest(reference="HND-ABCDEF", reason="customer_asked", status=status,
                          channel="whatsapp", language="pt", created_at=NOW, snapshot=snapshot,
                          owner_name="Maria Lopez")


SNAPSHOT = {
    "reason": "customer_asked", "detail": None,
    "customer": {"name": "Vandelay <Importações>", "account_number": "VANDELAY-006",
                 "collector_slack_id": "U0COLLKAI"},
    "contact": {"name": "João Silva", "phone": "+5511987654321", "email": None},
    "account": {"open_total": "R$ 10,00", "overdue_total": "R$ 5,00",
                "unapplied_credits": "R$ 0,00", "aging": {"current": "R$ 5,00"},
                "oldest_overdue": None},
    "disputes": ["DSP-2222AA: INV-1, R$ 5,00, pricing"], "plans": [], "promises": [],
    "messages": [{"who": "customer", "text": "quero parcelar em 3 vezes", "language": "pt",
                  "reading": "asks for a payment plan: 3 instalments"},
                 {"who": "collector", "name": "Maria Lopez", "text": "Olá!", "language": "pt"}],
    "bot_did": ["gave the account balance"],
}


def _text(blocks) -> str:
    return "\n".join(b["text"]["text"] if b["type"] == "section" else
                     " ".join(e.get("text", "") for e in b["elements"] if isinstance(e.get("text"), str))
                     for b in blocks if b["type"] in ("section", "context"))


def test_the_card_shows_everything_with_an_english_reading_and_the_collector():
    blocks = card_blocks(_handoff(SNAPSHOT), NOW + timedelta(minutes=7))
    text = _text(blocks)
    assert "Vandelay &lt;Importações&gt;" in text  # customer text cannot inject mrkdwn
    assert "<@U0COLLKAI>" in text and "R$ 10,00" in text and "DSP-2222AA" in text
    assert "Portuguese; the bot reads: asks for a payment plan: 3 instalments" in text
    assert "*Maria Lopez (AR):* Olá!" in text
    assert "has waited 7 min" in text
    actions = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert actions == [CLAIM, HAND_BACK, RESOLVE]


def test_a_claimed_card_shows_its_owner_and_no_claim_button():
    handoff = _handoff(SNAPSHOT, status="claimed")
    handoff.claimed_at = NOW + timedelta(minutes=3)
    blocks = card_blocks(handoff, NOW + timedelta(minutes=9))
    assert "Claimed by *Maria Lopez* (customer waited 3 min)" in _text(blocks)
    actions = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert actions == [HAND_BACK, RESOLVE]
    assert all(b["type"] != "actions" for b in card_blocks(_handoff(SNAPSHOT, "resolved"), NOW))


def test_an_english_message_needs_no_reading_and_a_translation_shows_when_there_is_one():
    english = {"who": "customer", "text": "hi", "language": "en", "reading": "greets"}
    assert message_line(english) == "*Customer:* hi"
    line = message_line(SNAPSHOT["messages"][0], "I want to pay in 3 instalments")
    assert "translation: I want to pay in 3 instalments" in line


def test_translation_is_off_by_default_and_an_unknown_service_is_refused():
    assert isinstance(translator_for(""), NoTranslation)
    assert translator_for("").to_english("olá", "pt") is None
    with pytest.raises(ValueError):
        translator_for("deepl")


@pytest.mark.parametrize("text,asks", [
    ("can I go back to the bot?", True), ("quiero volver al asistente", True),
    ("je voudrais revenir au bot", True), ("zurück zum Bot bitte", True),
    ("quero voltar ao robô", True), ("the bot told me the wrong balance", False),
    ("thank you Maria", False)])
def test_a_customer_asking_for_the_bot_back_is_heard_in_five_languages(text, asks):
    assert asks_for_the_bot(text) is asks


def test_a_long_conversation_keeps_the_latest_messages_within_slacks_limit():
    long = dict(SNAPSHOT, messages=[{"who": "customer", "text": f"message {i} " + "x" * 400,
                                     "language": "en", "reading": None} for i in range(12)])
    blocks = card_blocks(_handoff(long), NOW)
    transcript = next(b["text"]["text"] for b in blocks if b["type"] == "section"
                      and b["text"]["text"].startswith("*Last messages*"))
    assert len(transcript) <= 3000 and "message 11 " in transcript and "message 0 " not in transcript


def test_a_translation_service_plugged_in_shows_on_the_card(demo_app):
    from integrations.handoff_ar_channel import ARChannelPoster

    class Echo:
        def to_english(self, text, language):
            return f"[{language}->en] {text}"

    with demo_app.session() as session:
        handoff, _ = service.request_handoff(session, "c-pt", None, "customer_asked",
                                             snapshot=SNAPSHOT, now=NOW)
        poster = ARChannelPoster(demo_app, None, "C0AR", Echo())
        shown = _text(poster._card_view(session, handoff.reference)["blocks"])
    assert "translation: [pt-&gt;en] quero parcelar em 3 vezes" in shown


def test_two_servers_looking_at_an_overdue_card_announce_it_once(demo_db, jane):
    with demo_db.session() as session:
        handoff, _ = service.request_handoff(session, "c1", jane, "customer_asked", now=NOW)
        handoff.card_ts, handoff.announced_at = "1.1", NOW
    later = NOW + timedelta(minutes=16)
    with demo_db.session() as first, demo_db.session() as second:
        seen_first = service.due_for_reannounce(first, later, 15)
        seen_second = service.due_for_reannounce(second, later, 15)
        assert len(seen_first) == len(seen_second) == 1  # both servers see it due
        assert service.take_reannounce(first, seen_first[0], later)
        first.commit()
        assert not service.take_reannounce(second, seen_second[0], later)
    with demo_db.session() as session:
        assert service.due_for_reannounce(session, later, 15) == []


def test_a_relayed_reply_is_settled_once(demo_db, jane):
    with demo_db.session() as session:
        handoff, _ = service.request_handoff(session, "c1", jane, "customer_asked", now=NOW)
        session.flush()
        line = HandoffMessage(handoff_id=handoff.id, kind="collector", author="Maria",
                              text="hello", delivery="pending")
        session.add(line)
        session.flush()
        assert service.settle_delivery(session, line, "delivered", "by SMS")
        assert not service.settle_delivery(session, line, "failed", "again")
        assert (line.delivery, line.delivery_detail) == ("delivered", "by SMS")
