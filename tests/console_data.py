"""A tracker store and a ledger with six conversations written the way Rasa 3.6's
SQLTrackerStore writes them (rasa/core/tracker_store.py: one `events` row per event,
`type_name`, `timestamp`, `intent_name`, `action_name`, and the event's as_dict() JSON in
`data`), and the ledger records their actions created. The figures the console must
show for them are worked out by hand in EXPECTED."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select

from bot.console import tracker_events
from bot.db import Database, engine_for
from bot.ledger.importer import DEMO_DATA, import_directory
from bot.ledger.models import (Customer, Dispute, DocumentRequest, HandoffRequest, Invoice,
                               Payment, PaymentPlan, PromiseToPay, VerifiedConversation)
from bot.ledger.schema import migrate

TODAY = date(2026, 11, 23)
PERIOD = (date(2026, 11, 1), date(2026, 11, 23))


def at(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}:00+00:00")


class TrackerWriter:
    """Appends events to the events table exactly as SQLTrackerStore.save does."""

    def __init__(self, url: str):
        self.engine = engine_for(url)
        tracker_events.ensure_table(self.engine)

    def _add(self, sender: str, data: dict) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(tracker_events.events).values(
                sender_id=sender, type_name=data["event"], timestamp=data["timestamp"],
                intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                action_name=data.get("name"), data=json.dumps(data)))

    def action(self, sender: str, when: datetime, name: str, policy: str = "RulePolicy") -> None:
        self._add(sender, {"event": "action", "timestamp": when.timestamp(), "name": name,
                           "policy": policy, "confidence": 1.0, "action_text": None,
                           "hide_rule_turn": False})

    def start(self, sender: str, when: datetime) -> None:
        self.action(sender, when, "action_session_start", policy=None)
        self._add(sender, {"event": "session_started", "timestamp": when.timestamp()})
        self.action(sender, when, "action_listen", policy=None)

    def bot(self, sender: str, when: datetime, text: str, metadata: dict | None = None) -> None:
        self._add(sender, {"event": "bot", "timestamp": when.timestamp(),
                           "metadata": metadata or {"utter_action": "utter_x"}, "text": text,
                           "data": {"elements": None, "quick_replies": None, "buttons": None,
                                    "attachment": None, "image": None, "custom": None}})

    def turn(self, sender: str, when: datetime, text: str, intent: str, confidence: float,
             channel: str, language: str, actions: list[tuple[str, list[str]]],
             entities: list[dict] | None = None, ranking: list[tuple[str, float]] = ()) -> None:
        ents = [{"entity": e["entity"], "start": text.index(e["text"]),
                 "end": text.index(e["text"]) + len(e["text"]), "value": e.get("value", e["text"]),
                 "extractor": "CRFEntityExtractor", "confidence_entity": 0.9}
                for e in entities or []]
        ents.append({"entity": "detected_language", "value": language, "start": 0, "end": 0,
                     "extractor": "LanguageDetector"})
        stamp = when.timestamp()
        self._add(sender, {
            "event": "user", "timestamp": stamp, "metadata": {}, "text": text,
            "parse_data": {"intent": {"name": intent, "confidence": confidence},
                           "entities": ents, "text": text, "message_id": f"m{stamp}",
                           "metadata": {}, "intent_ranking": [
                               {"name": name, "confidence": score}
                               for name, score in [(intent, confidence), *ranking]]},
            "input_channel": channel, "message_id": f"m{stamp}"})
        self._add(sender, {"event": "user_featurization", "timestamp": stamp,
                           "use_text_for_featurization": False})
        self.action(sender, when, "action_validate_slot_mappings")
        self._add(sender, {"event": "slot", "timestamp": stamp, "name": "language", "value": language})
        step = timedelta(seconds=1)
        for name, replies in actions:
            when += step
            self.action(sender, when, name)
            for reply in replies:
                self.bot(sender, when, reply)
        self.action(sender, when + step, "action_listen")


def build(state: Path) -> tuple[Database, str]:
    """A migrated ledger (demo data plus the records below) and a tracker store; both
    URLs inside state."""
    database = Database(f"sqlite:///{state / 'ar.db'}")
    migrate(database)
    with database.session() as session:
        import_directory(session, DEMO_DATA)
        customer = {c.account_number: c for c in session.scalars(select(Customer))}
        invoice = session.scalars(select(Invoice).where(Invoice.invoice_number == "F-2026-551")).one()
        session.add_all([
            VerifiedConversation(conversation_id="web-c2", customer_id=customer["SOYLENT-004"].id,
                                 verified_at=at("2026-11-20", "11:00"),
                                 expires_at=at("2026-11-20", "23:00")),
            VerifiedConversation(conversation_id="web-c5", customer_id=customer["UMBRELLA-005"].id,
                                 verified_at=at("2026-11-22", "16:00"),
                                 expires_at=at("2026-11-23", "04:00")),
            Dispute(reference="DSP-AAAAAA", customer_id=customer["SOYLENT-004"].id,
                    invoice_id=invoice.id, reason="pricing", amount=Decimal("500.00"),
                    created_at=at("2026-11-20", "11:02")),
            HandoffRequest(reference="HND-BBBBBB", conversation_id="web-c3", reason="misunderstanding",
                           created_at=at("2026-11-21", "09:01")),
            PaymentPlan(reference="PLN-EEEEEE", customer_id=customer["ACME-001"].id,
                        total_amount=Decimal("3000.00"), instalment_count=3,
                        start_date=date(2026, 12, 1), status="approved", decision_reasons=[],
                        created_at=at("2026-11-21", "12:00")),
            DocumentRequest(reference="DOC-DDDDDD", customer_id=customer["UMBRELLA-005"].id,
                            kind="invoice_copy", channel="email",
                            destination="camille.martin@umbrella.example", status="queued",
                            created_at=at("2026-11-22", "16:00")),
            DocumentRequest(reference="DOC-SENT22", customer_id=customer["ACME-001"].id,
                            kind="statement", channel="email", destination="jane.doe@acme.example",
                            status="sent", created_at=at("2026-11-12", "09:00")),
            # kept: 1,000 promised for the 10th, 1,000 received on the 9th
            PromiseToPay(reference="PTP-KEPT22", customer_id=customer["UMBRELLA-005"].id,
                         amount=Decimal("1000.00"), promised_date=date(2026, 11, 10),
                         created_at=at("2026-11-02", "10:00")),
            Payment(payment_reference="UMB-1", customer_id=customer["UMBRELLA-005"].id,
                    received_date=date(2026, 11, 9), amount=Decimal("1000.00"), method="wire"),
            # broken: 5,000 for the 15th, nothing received
            PromiseToPay(reference="PTP-BRKN22", customer_id=customer["INITECH-003"].id,
                         amount=Decimal("5000.00"), promised_date=date(2026, 11, 15),
                         created_at=at("2026-11-05", "10:00")),
            # open: due after today
            PromiseToPay(reference="PTP-CCCCCC", customer_id=customer["INITECH-003"].id,
                         amount=Decimal("5000.00"), promised_date=date(2026, 11, 28),
                         created_at=at("2026-11-22", "14:02")),
        ])
    tracker_url = f"sqlite:///{state / 'tracker.db'}"
    write_conversations(TrackerWriter(tracker_url))
    return database, tracker_url


def write_conversations(w: TrackerWriter) -> None:
    # C1: SMS, English, answered by the bot
    s, t = "+14155550101", at("2026-11-20", "10:00")
    w.start(s, t)
    w.turn(s, t, "what do we owe", "ask_balance", 0.95, "twilio", "en",
           [("action_tell_balance", ["You owe $16,225.50 in total; $9,000.00 is overdue."])])
    # C2: web chat, Spanish, a dispute opened
    s, t = "web-c2", at("2026-11-20", "11:00")
    w.start(s, t)
    w.turn(s, t, "quiero disputar la factura F-2026-551", "open_dispute", 0.91, "webchat", "es",
           [("action_start_dispute", ["¿Cuál es el motivo?"])],
           entities=[{"entity": "invoice_number", "text": "F-2026-551"}])
    w.turn(s, t + timedelta(minutes=2), "precio incorrecto", "open_dispute", 0.62, "webchat", "es",
           [("action_submit_dispute", ["Disputa DSP-AAAAAA registrada; la factura queda retenida."])],
           entities=[{"entity": "dispute_reason", "text": "precio", "value": "pricing"}])
    # C3: web chat, English, not understood, then a person (Ana) takes over
    s, t = "web-c3", at("2026-11-21", "09:00")
    w.start(s, t)
    w.turn(s, t, "blorf zzz quux", "nlu_fallback", 0.4, "webchat", "en",
           [("action_default_fallback", ["Sorry, I didn't get that. Could you rephrase?"])],
           ranking=[("out_of_scope", 0.31), ("greet", 0.2)])  # as FallbackClassifier ranks
    w.turn(s, t + timedelta(minutes=1), "agent please", "request_human", 0.97, "webchat", "en",
           [("action_request_human", ["A person from AR will take over. Reference HND-BBBBBB."])])
    w.bot(s, at("2026-11-21", "09:06"), "Hi, this is Ana from AR. How can I help?",
          metadata={"collector": "Ana Lopez"})
    # C4: Slack, German, a low-confidence guess the customer corrects, then a promise
    s, t = "U03INITECH", at("2026-11-22", "14:00")
    w.start(s, t)
    w.turn(s, t, "wir zahlen 5000 nächste Woche", "promise_to_pay", 0.55, "slack", "de",
           [("action_start_promise", ["Sie zahlen 5.000,00 $ am 30.11.2026?"])])
    w.turn(s, t + timedelta(minutes=1), "nein", "deny", 0.9, "slack", "de",
           [("action_cancel_request", ["In Ordnung."])])
    w.turn(s, t + timedelta(minutes=2), "wir zahlen 5000 am 28.", "promise_to_pay", 0.88,
           "slack", "de", [("action_submit_promise", ["Zahlungszusage PTP-CCCCCC notiert."])],
           entities=[{"entity": "amount", "text": "5000"}])
    # C5: web chat, French, an invoice copy sent to the email on file
    s, t = "web-c5", at("2026-11-22", "16:00")
    w.start(s, t)
    w.turn(s, t, "pouvez-vous renvoyer la facture, mon tel +33612345678", "request_invoice_copy",
           0.88, "webchat", "fr",
           [("action_send_invoice_copy",
             ["Copie envoyée à camille.martin@umbrella.example (DOC-DDDDDD)."])])
    # C6: October, outside the period: a greeting only
    s, t = "web-c6", at("2026-10-15", "08:00")
    w.start(s, t)
    w.turn(s, t, "hello", "greet", 0.99, "webchat", "en", [("action_greet", ["Hello!"])])


EXPECTED = {
    "conversations": 5,
    "per_day_by_channel": {date(2026, 11, 20): {"sms": 1, "webchat": 1},
                           date(2026, 11, 21): {"webchat": 1},
                           date(2026, 11, 22): {"slack": 1, "webchat": 1}},
    "per_day_by_language": {date(2026, 11, 20): {"en": 1, "es": 1},
                            date(2026, 11, 21): {"en": 1},
                            date(2026, 11, 22): {"de": 1, "fr": 1}},
    "self_served": 4, "self_service_rate": 0.8,
    "handed_off": 1, "handoff_rate": 0.2, "handoff_reasons": {"misunderstanding": 1},
    "first_human_response_minutes": 5.0, "resolution_minutes": None,
    "customer_messages": 9, "fallbacks": 1, "fallback_rate": 0.1111,
    "low_confidence": 2, "low_confidence_rate": 0.2222,
    "intents": {"ask_balance": 1, "open_dispute": 2, "nlu_fallback": 1, "request_human": 1,
                "promise_to_pay": 2, "deny": 1, "request_invoice_copy": 1},
    "documents": {"queued": 1, "sent": 1}, "documents_sent": 1, "disputes": 1, "plans": 1, "promises": 3,
    "promises_kept": 1, "promises_broken": 1, "promises_open": 1,
}
