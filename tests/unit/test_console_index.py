"""The console's index of transcripts, its filters and full-text search, and the
dashboard figures, on a tracker store written as Rasa 3.6 writes it (tests/console_data)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bot.console.figures import Period, compute
from bot.console.indexer import TranscriptIndex
from bot.console.masking import mask_contact_details
from bot.console.models import IndexedConversation, IndexedMessage
from bot.console.search import FilterError, Filters, find_conversations
from tests import console_data
from tests.console_data import EXPECTED, PERIOD, TODAY, TrackerWriter, at


@pytest.fixture
def index(tmp_path):
    database, tracker_url = console_data.build(tmp_path)
    index = TranscriptIndex(database, tracker_url, low_confidence=0.6)
    assert index.refresh() == 6
    return index


def ids(index, **filters) -> list[str]:
    with index.database.session() as session:
        page = find_conversations(session, Filters.from_query(filters))
        return [c.conversation_id for c in page.conversations]


def test_conversations_are_listed_newest_first_with_what_they_add_up_to(index):
    assert ids(index) == ["web-c5", "U03INITECH", "web-c3", "web-c2", "+14155550101", "web-c6"]
    with index.database.session() as session:
        c3 = session.scalars(select(IndexedConversation).where(
            IndexedConversation.conversation_id == "web-c3")).one()
        c4 = session.scalars(select(IndexedConversation).where(
            IndexedConversation.conversation_id == "U03INITECH")).one()
        assert (c3.outcome, c3.handed_off, c3.fallback_count, c3.collector_messages) == \
            ("handed_off", True, 1, 1)
        assert (c4.channel, c4.language, c4.outcome, c4.references) == \
            ("slack", "de", "self_served", ["PTP-CCCCCC"])
        assert c4.customer_id is not None and c4.contact_id is not None


def test_messages_keep_who_said_what_the_bot_understood_and_did(index):
    with index.database.session() as session:
        rows = list(session.scalars(select(IndexedMessage).where(
            IndexedMessage.conversation_id == "web-c2").order_by(IndexedMessage.event_id)))
    first = rows[0]
    assert [r.speaker for r in rows] == ["customer", "bot", "customer", "bot"]
    assert (first.intent, first.confidence, first.language, first.channel) == \
        ("open_dispute", 0.91, "es", "webchat")
    assert first.entities == [{"entity": "invoice_number", "value": "F-2026-551",
                               "start": 27, "end": 37}]
    assert first.actions == ["action_start_dispute"]
    with index.database.session() as session:
        c4 = list(session.scalars(select(IndexedMessage).where(
            IndexedMessage.conversation_id == "U03INITECH", IndexedMessage.speaker == "customer")
            .order_by(IndexedMessage.event_id)))
        collector = session.scalars(select(IndexedMessage).where(
            IndexedMessage.speaker == "collector")).one()
    assert [(m.low_confidence, m.corrected_by_customer) for m in c4] == \
        [(True, True), (False, False), (False, False)]
    assert (collector.conversation_id, collector.collector) == ("web-c3", "Ana Lopez")


@pytest.mark.parametrize("filters, expected", [
    ({"channel": "slack"}, ["U03INITECH"]),
    ({"channel": "sms"}, ["+14155550101"]),
    ({"language": "es"}, ["web-c2"]),
    ({"customer": "soylent"}, ["web-c2"]),
    ({"customer": "INITECH-003"}, ["U03INITECH"]),
    ({"intent": "request_human"}, ["web-c3"]),
    ({"handed_off": "yes"}, ["web-c3"]),
    ({"outcome": "unresolved"}, ["web-c6"]),
    ({"low_confidence": "yes"}, ["U03INITECH", "web-c3"]),
    ({"date_from": "2026-11-21", "date_to": "2026-11-21"}, ["web-c3"]),
    ({"reviewed": "yes"}, []),
    ({"frustrated": "yes"}, []),
    ({"q": "disputar"}, ["web-c2"]),
    ({"q": "disput"}, ["web-c2"]),
    ({"q": "nachste"}, ["U03INITECH"]),
    ({"q": "Ana"}, ["web-c3"]),
    ({"q": "retenida factura"}, ["web-c2"]),
    ({"q": "\"OR 1=1 --"}, []),
    ({"q": "nächste"}, ["U03INITECH"]),
    ({"q": "facture", "channel": "webchat"}, ["web-c5"]),
    ({"q": "facture", "channel": "slack"}, []),
])
def test_filters_and_full_text_search_find_exactly_the_matching_conversations(index, filters, expected):
    assert ids(index, **filters) == expected


def test_a_filter_that_cannot_be_read_says_which(index):
    with pytest.raises(FilterError, match="date from"):
        Filters.from_query({"date_from": "yesterday"})
    with pytest.raises(FilterError, match="outcome"):
        Filters.from_query({"outcome": "won"})


def test_search_goes_through_the_full_text_index_not_a_scan(index):
    with index.database.session() as session:
        hits = session.execute(text(
            "SELECT count(*) FROM console_message_fts WHERE console_message_fts MATCH 'disputar'"
        )).scalar()
        plan = session.execute(text(
            "EXPLAIN QUERY PLAN SELECT rowid FROM console_message_fts WHERE console_message_fts MATCH 'x'"
        )).all()
    assert hits == 1
    assert any("VIRTUAL TABLE INDEX" in str(row) for row in plan)


def test_the_index_reads_only_what_is_new_and_keeps_up(index, tmp_path):
    assert index.refresh() == 0
    writer = TrackerWriter(f"sqlite:///{tmp_path / 'tracker.db'}")
    writer.turn("web-c5", at("2026-11-22", "16:05"), "merci beaucoup", "thank", 0.99, "webchat",
                "fr", [("utter_thank", ["Avec plaisir."])])
    assert index.refresh() == 1
    assert ids(index, q="beaucoup") == ["web-c5"]
    with index.database.session() as session:
        assert session.scalar(text("SELECT count(*) FROM console_messages WHERE "
                                   "conversation_id = 'web-c5'")) == 4
        assert session.scalar(text("SELECT count(*) FROM console_message_fts")) == \
            session.scalar(text("SELECT count(*) FROM console_messages WHERE text != ''"))


def test_whatsapp_and_sms_are_told_apart_on_the_one_twilio_connector(index, tmp_path):
    writer = TrackerWriter(f"sqlite:///{tmp_path / 'tracker.db'}")
    writer.turn("whatsapp:+4915112345678", at("2026-11-23", "07:00"), "wie viel schulden wir",
                "ask_balance", 0.93, "twilio", "de", [("action_tell_balance", ["Offen: 12.400,00 €"])])
    index.refresh()
    assert ids(index, channel="whatsapp") == ["whatsapp:+4915112345678"]
    with index.database.session() as session:
        found = find_conversations(session, Filters(channel="whatsapp")).conversations[0]
        assert found.outcome == "self_served" and found.contact_id is not None


def test_an_answering_action_for_a_visitor_never_identified_is_not_self_service(index, tmp_path):
    writer = TrackerWriter(f"sqlite:///{tmp_path / 'tracker.db'}")
    writer.start("web-c8", at("2026-11-23", "08:00"))
    writer.turn("web-c8", at("2026-11-23", "08:00"), "what's our balance", "ask_balance", 0.97,
                "webchat", "en", [("action_tell_balance", ["First, what is your account number?"])])
    index.refresh()
    assert ids(index, outcome="unresolved") == ["web-c8", "web-c6"]


def test_dashboard_figures_match_the_hand_computed_ones(index):
    with index.database.session() as session:
        figures = compute(session, Period(*PERIOD), TODAY)
    for name, expected in EXPECTED.items():
        got = getattr(figures, name)
        if isinstance(expected, dict):
            got = {k: dict(v) if hasattr(v, "items") else v for k, v in got.items()}
        assert got == expected, name


def test_an_empty_period_has_no_rates_rather_than_zero(index):
    with index.database.session() as session:
        figures = compute(session, Period(TODAY + timedelta(days=1), TODAY + timedelta(days=2)), TODAY)
    assert figures.conversations == 0 and figures.self_service_rate is None


@pytest.mark.parametrize("raw, masked", [
    ("mail camille.martin@umbrella.example now", "mail c•••@umbrella.example now"),
    ("my tel +33612345678", "my tel +•••••••••78"),
    ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN •••• •••• •••• •••• ••30 00 please"),
    ("account 483920117", "account •••••••17"),
    ("INV-2026-0142 of $16,225.50 on 2026-11-23", "INV-2026-0142 of $16,225.50 on 2026-11-23"),
])
def test_contact_and_bank_details_are_masked_and_nothing_else(raw, masked):
    assert mask_contact_details(raw) == masked
