"""Operations core: what a log line may show, how a conversation is named in logs, the
readiness report, and the ledger figures Prometheus reads at scrape time."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from prometheus_client import CollectorRegistry

from bot.ledger.models import HandoffRequest
from bot.messaging import channel_store
from bot.observability import health, logs, metrics

SECRET = "tok-" + "s3cr3t-v4lue-xyz"


def formatted(message: str, *args, fmt: str = "json", exc_info=None, **extra) -> str:
    record = logging.LogRecord("integrations.twilio_channel", logging.WARNING, __file__, 1,
                               message, args, exc_info)
    record.__dict__.update(extra)
    formatter = logs.Formatter("rasa", fmt, logs.Redactor([SECRET]), key="log-key")
    return formatter.format(record)


@pytest.mark.parametrize("personal, shown", [
    ("+14155550101", "[phone]"),
    ("whatsapp:+14155550101", "[phone]"),
    ("+44 20 7946 0958", "[phone]"),
    ("(415) 555-0101", "[phone]"),
    ("jane.doe+ap@acme.example", "[email]"),
    ("DE89 3704 0044 0532 0130 00", "[iban]"),
    ("DE89370400440532013000", "[iban]"),
    ("xoxb-1234-5678-abcdefgh", "[secret]"),
    ("AC" + "0123456789abcdef" * 2, "[secret]"),
    ("Bearer abc.def.ghi", "Bearer [secret]"),
    ("/conversations/x/tracker?token=abcdef123456", "token=[secret]"),
    ("postgresql://ar:hunter2@db.internal/ar", "postgresql://[credentials]@db.internal/ar"),
    (SECRET, "[secret]"),
])
def test_a_log_line_shows_no_personal_data_or_secret(personal, shown):
    entry = json.loads(formatted("send to %s failed", personal))
    assert personal not in entry["message"]
    assert shown in entry["message"]


def test_what_is_not_personal_is_kept():
    message = "Starting Rasa server on http://127.0.0.1:5005 at 2026-12-01 12:00:01, 3 tries"
    assert json.loads(formatted(message))["message"] == message


def test_the_turns_text_and_names_are_redacted_wherever_they_appear():
    with logs.turn("+14155550101", "what do we owe on the Hartmann account?", "Jane Doe"):
        entry = json.loads(formatted("parsed 'what do we owe on the Hartmann account?' for "
                                     "Jane Doe", extra_field="Jane Doe said hi"))
    assert "owe" not in json.dumps(entry) and "Jane" not in json.dumps(entry)
    assert entry["message"] == "parsed '[personal]' for [personal]"
    assert entry["extra_field"] == "[personal] said hi"
    with logs.turn("+4915112345678"):
        logs.remember("Klaus Weber")  # a name found during the turn
        assert json.loads(formatted("caller is Klaus Weber"))["message"] == \
            "caller is [personal]"
    assert json.loads(formatted("caller is Klaus Weber"))["message"] == "caller is Klaus Weber"
    # Outside the turn, nothing is remembered.
    assert json.loads(formatted("Jane Doe"))["message"] == "Jane Doe"


def test_a_line_carries_time_level_process_logger_and_the_hashed_conversation():
    with logs.turn("+14155550101"):
        entry = json.loads(formatted("turn", event="turn", latency_ms=12.5))
    assert set(entry) == {"time", "level", "process", "logger", "conversation", "message",
                          "event", "latency_ms"}
    assert entry["level"] == "warning" and entry["process"] == "rasa"
    assert entry["logger"] == "integrations.twilio_channel" and entry["time"].endswith("Z")
    assert entry["conversation"] == logs.conversation_key("+14155550101", "log-key")
    assert "4155550101" not in entry["conversation"]
    # Keyed: without the key, hashing every phone number does not find it.
    assert logs.conversation_key("+14155550101", "other-key") != entry["conversation"]
    assert entry["event"] == "turn" and entry["latency_ms"] == 12.5


def test_a_traceback_is_redacted_too():
    try:
        raise RuntimeError("could not text +14155550101")
    except RuntimeError:
        entry = json.loads(formatted("send failed", exc_info=sys.exc_info()))
    assert "RuntimeError" in entry["exception"] and "4155550101" not in entry["exception"]


def test_text_format_is_one_readable_line_and_redacted():
    line = formatted("send to %s failed", "+14155550101", fmt="text", channel="sms")
    assert "\n" not in line and line.endswith(
        "Z WARNING rasa integrations.twilio_channel: send to [phone] failed  [channel=sms]")
    assert "4155550101" not in line


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.Formatter("rasa", "xml", logs.Redactor(), key="k")


def test_readiness_is_ready_only_when_every_check_passes(tmp_path):
    good = health.database_check(f"sqlite:///{tmp_path / 'ok.db'}")
    # A PostgreSQL server that is not there (nothing listens on the discard port).
    missing = health.database_check("postgresql+psycopg2://ar:pg-pass-9@127.0.0.1:9/ar")
    status, report = health.readiness({"ar_database": good})
    assert status == 200 and report["status"] == "ready"
    assert report["checks"]["ar_database"]["ok"] is True
    status, report = health.readiness({"ar_database": good, "tracker_store": missing,
                                       "action_server": health.http_check(
                                           "http://127.0.0.1:9/health")})
    assert status == 503 and report["status"] == "not ready"
    assert report["checks"]["ar_database"]["ok"] is True
    assert report["checks"]["tracker_store"]["ok"] is False
    assert report["checks"]["action_server"]["problem"].startswith("unreachable")
    assert "pg-pass-9" not in json.dumps(report) and "127.0.0.1" not in json.dumps(report)


def test_outbox_depth_and_handoffs_are_read_from_the_ledger(db, now):
    registry = CollectorRegistry()
    registry.register(metrics.LedgerFigures(db))

    def value(name, **labels):
        return registry.get_sample_value(name, labels)

    assert value("ar_outbox_messages", channel="sms", status="pending") == 0
    with db.session() as session:
        queued = channel_store.queue_replies(session, "sms", "+14155550101",
                                             ["one", "two", "three"], now)
        channel_store.queue_replies(session, "slack", "C1", ["hi"], now, thread="1.2")
        channel_store.mark_sent(session, queued[0].id, "SM1", now)
        for _ in range(channel_store.MAX_SEND_ATTEMPTS):  # given up: failed
            channel_store.mark_failed(session, queued[1].id, "down", now, 30)
        for number, status, claimed in (("H-1", "requested", None), ("H-2", "claimed", now),
                                        ("H-3", "resolved", now)):
            session.add(HandoffRequest(reference=number, conversation_id=number,
                                       reason="customer_asked", status=status,
                                       claimed_at=claimed))
    assert value("ar_outbox_messages", channel="sms", status="pending") == 1
    assert value("ar_outbox_messages", channel="sms", status="failed") == 1
    assert value("ar_outbox_messages", channel="slack", status="pending") == 1
    assert value("ar_handoffs_total", state="opened") == 3
    assert value("ar_handoffs_total", state="claimed") == 2
    assert value("ar_handoffs_total", state="resolved") == 1



def test_the_twilio_sdk_logs_no_line_per_message_sent_only_its_troubles():
    """The SDK writes a dozen INFO lines per request (headers included); a sent message
    leaves none, and the SDK's warnings still reach the log."""
    import asyncio
    import io

    from bot.settings import load_settings
    from integrations.twilio_sender import TwilioSender
    from tests.fakes.twilio_api import FakeTwilioAPI

    root, stream = logging.getLogger(), io.StringIO()
    sdk = "twilio.async_http_client"  # the SDK's client that integrations.twilio_sender uses
    saved = (list(root.handlers), root.level, logging.getLogger(sdk).level)
    try:
        logs.configure("rasa", "json", [SECRET], key="log-key", stream=stream)
        with FakeTwilioAPI("AC" + "1" * 32, SECRET) as twilio:
            sender = TwilioSender(load_settings({
                "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": SECRET,
                "TWILIO_FROM_NUMBER": "+15005550006", "TWILIO_API_BASE_URL": twilio.base_url}))

            async def send_one():
                try:
                    return await sender.send("+14155550101", "Your balance is $10.00")
                finally:
                    await sender.close()

            assert asyncio.run(send_one())
            assert [m.body for m in twilio.messages] == ["Your balance is $10.00"]
        logging.getLogger(sdk).warning("Twilio answered 429")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger(sdk).setLevel(saved[2])
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["logger"], e["message"]) for e in lines
            if e["logger"].startswith("twilio")] == [(sdk, "Twilio answered 429")]
