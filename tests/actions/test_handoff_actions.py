"""Handoffs the actions start: each trigger recorded with its reason, a snapshot of the
account and the conversation for the collector, the card queued for the AR channel, and
the customer told when a person will answer."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from actions.base import set_ar_app
from actions.conversation import ActionRequestHuman
from actions.disputes import ActionSubmitDispute
from actions.documents import ActionSendStatement
from actions.identity import ValidateIdentityForm
from actions.plans import ActionSubmitPaymentPlan
from bot.handoff import ar_outbox
from bot.ledger.models import HandoffRequest, OutboundMessage
from bot.runtime.app import ARApp
from tests.actions.conftest import JANE_SMS, WEB_VISITOR, make_tracker, run_action, validate

ALWAYS_OPEN = "Mon-Sun 00:00-23:59 UTC"
NEVER_OPEN_TODAY = "Mon-Mon 03:00-03:01 Pacific/Kiritimati"


@pytest.fixture
def desk(demo_app):
    """The demo ledger with the AR channel configured and the team always in."""
    app = ARApp(replace(demo_app.settings, slack_handoff_channel="C0ARTEAM",
                        office_hours=ALWAYS_OPEN, handoff_dispute_threshold=Decimal("2000")))
    set_ar_app(app)
    return app


def handoffs(app) -> list[HandoffRequest]:
    with app.session() as session:
        rows = session.scalars(select(HandoffRequest)).all()
        session.expunge_all()
        return rows


def spanish_tracker():
    tracker = make_tracker(JANE_SMS, "quiero hablar con una persona", "request_human",
                           slots={"language": "es"})
    tracker.events[:0] = [
        {"event": "slot", "name": "language", "value": "es"},
        {"event": "user", "text": "¿podemos pagar en 3 cuotas desde el 1 de marzo?",
         "input_channel": "twilio", "timestamp": 1790000000.0,
         "parse_data": {"intent": {"name": "request_payment_plan"}, "entities": [
             {"entity": "instalments", "value": "3"},
             {"entity": "date", "value": "1 de marzo"}]}},
        {"event": "action", "name": "action_tell_balance"},
        {"event": "bot", "text": "Su saldo pendiente es 16.225,50 US$.",
         "timestamp": 1790000001.0},
    ]
    return tracker


def test_the_snapshot_holds_the_account_the_messages_and_their_english_reading(desk):
    said, _ = run_action(ActionRequestHuman(), spanish_tracker())
    assert "HND-" in said[0] and "equipo de cobros" in said[0]
    handoff = handoffs(desk)[0]
    snapshot = handoff.snapshot
    assert handoff.reason == "customer_asked" and handoff.channel == "sms"
    assert handoff.language == "es" and handoff.address == "+14155550101"
    assert snapshot["customer"]["account_number"] == "ACME-001"
    assert snapshot["customer"]["collector_slack_id"] == "U0COLLMARIA"
    assert snapshot["contact"]["name"] == "Jane Doe"
    assert snapshot["account"]["open_total"].startswith("$")
    plan_ask = snapshot["messages"][0]
    assert plan_ask["who"] == "customer" and plan_ask["language"] == "es"
    assert plan_ask["reading"] == "asks for a payment plan: 3 instalments, from Mar 1, 2027"
    assert snapshot["messages"][1]["who"] == "bot"
    assert "gave the account balance" in snapshot["bot_did"]


def test_the_card_is_queued_for_the_ar_channel_once(desk):
    run_action(ActionRequestHuman(), make_tracker(JANE_SMS, "agent", "request_human"))
    said, _ = run_action(ActionRequestHuman(), make_tracker(JANE_SMS, "agent!!", "request_human"))
    assert "already with our AR team" in said[0]
    with desk.session() as session:
        queued = session.scalars(select(OutboundMessage).where(
            OutboundMessage.channel == ar_outbox.AR_CHANNEL)).all()
        assert [ar_outbox.parse(q.body)["kind"] for q in queued] == ["card"]


def test_outside_office_hours_the_customer_is_told_when(desk):
    set_ar_app(ARApp(replace(desk.settings, office_hours=NEVER_OPEN_TODAY)))
    said, _ = run_action(ActionRequestHuman(), make_tracker(JANE_SMS, "agent", "request_human"))
    assert "They are away right now; a collector will reply here from Monday" in said[0]
    assert "(Pacific/Kiritimati)" in said[0]


def test_a_dispute_above_the_threshold_goes_to_a_person(desk):
    slots = {"dispute_invoice": "INV-2026-0177", "dispute_reason": "quantity",
             "disputed_amount": "all", "dispute_description": "we got 40 boxes, not 50",
             "form_confirmed": "yes"}
    said, _ = run_action(ActionSubmitDispute(), make_tracker(JANE_SMS, slots=slots))
    assert "opened dispute DSP-" in said[0] and "HND-" in said[1]
    handoff = handoffs(desk)[0]
    assert handoff.reason == "dispute_over_threshold"
    assert handoff.snapshot["detail"].startswith("DSP-")
    assert handoff.snapshot["disputes"][0].startswith(handoff.snapshot["detail"])


def test_a_dispute_below_the_threshold_stays_with_the_bot(desk):
    slots = {"dispute_invoice": "INV-2026-0203", "dispute_reason": "pricing",
             "disputed_amount": "100.00", "dispute_description": "wrong rate",
             "form_confirmed": "yes"}
    said, _ = run_action(ActionSubmitDispute(), make_tracker(JANE_SMS, slots=slots))
    assert len(said) == 1 and not handoffs(desk)


def test_a_plan_outside_policy_goes_to_a_person(desk):
    slots = {"plan_amount": "whole_balance", "plan_instalments": "12",
             "plan_start_date": "2026-12-15", "form_confirmed": "yes"}
    said, _ = run_action(ActionSubmitPaymentPlan(), make_tracker(JANE_SMS, slots=slots))
    assert "HND-" in said[-1]
    assert handoffs(desk)[0].reason == "plan_outside_policy"


def test_documents_for_an_address_not_on_file_go_to_a_person(desk):
    said, _ = run_action(ActionSendStatement(), make_tracker(
        JANE_SMS, "send the statement to ap@elsewhere.example", "request_statement",
        {"email": "ap@elsewhere.example"}))
    assert "HND-" in said[-1] and "DOC-" in said[0]  # waits for AR, and a person takes it up
    assert handoffs(desk)[0].reason == "documents_new_address"


def test_documents_for_an_address_on_file_are_sent_without_a_person(desk):
    said, _ = run_action(ActionSendStatement(), make_tracker(
        JANE_SMS, "statement to jane.doe@acme.example", "request_statement",
        {"email": "jane.doe@acme.example"}))
    assert "HND-" not in said[0] and not handoffs(desk)


def test_locked_verification_goes_to_a_person_without_account_figures(desk):
    tracker = make_tracker(WEB_VISITOR, slots={"account_number": "ACME-001"})
    for _ in range(3):
        said, result = validate(ValidateIdentityForm(), "verification_invoice", "30918", tracker)
    assert "HND-" in said[-1]
    handoff = handoffs(desk)[0]
    assert handoff.reason == "verification_locked" and handoff.customer_id is None
    assert handoff.snapshot["account"] is None


def test_a_new_session_stays_paused_while_a_collector_owns_the_conversation(desk):
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    from actions.handoff import ActionSessionStart
    from bot.handoff import service

    def start_session() -> list[str]:
        events = asyncio.run(ActionSessionStart().run(
            CollectingDispatcher(), make_tracker(JANE_SMS), {}))
        return [e["event"] for e in events]

    assert start_session() == ["session_started", "action"]
    run_action(ActionRequestHuman(), make_tracker(JANE_SMS, "agent", "request_human"))
    assert start_session() == ["session_started", "action"]  # waiting: the bot still helps
    with desk.session() as session:
        handoff = session.scalars(select(HandoffRequest)).one()
        service.claim(session, handoff, "U0MARIA", "Maria Lopez", desk.now())
    assert start_session() == ["session_started", "pause", "action"]
