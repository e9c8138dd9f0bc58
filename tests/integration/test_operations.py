"""Operations against the real servers: every process's health endpoints, the Prometheus
counters moving by exactly what was sent (a signed SMS through the Twilio connector, web
chat messages, refused webhooks, a failed action), and the JSON logs of a real
conversation holding one event per turn and none of the personal data that was sent."""

from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.observability import logs
from bot.runtime.runner import LIVE_PATH, READY_PATH
from tests.integration.conftest import WITH_ACTION_SERVER
from tests.integration.test_twilio_channel import JANE, Phone, twilio_api  # noqa: F401
from tests.integration.test_webchat import WebVisitor

pytestmark = pytest.mark.servers

# The `assistant` fixture (real Rasa and action servers) comes from tests/integration/conftest.py;
# `twilio_api` (the fake Twilio API, and the settings pointing at it) from the Twilio tests.


@pytest.fixture(scope="module")
def server_settings():
    """An action server of its own, whose health, metrics and logs are checked."""
    return dict(WITH_ACTION_SERVER)


@pytest.fixture(scope="module", autouse=True)
def debug_logs():
    """Rasa at DEBUG (its LOG_LEVEL), where it writes every message text, slot and reply:
    the redaction must hold there too. In place before the servers start."""
    with mock.patch.dict(os.environ, {"LOG_LEVEL": "DEBUG"}):
        yield


KLAUS = "whatsapp:+4915112345678"  # GLOBEX-002, German, on WhatsApp
FIELDS = {"time", "level", "process", "logger", "message"}


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status, reply.read().decode(), reply.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers.get("Content-Type", "")


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """Every sample of a server's /metrics, by name and labels."""
    status, body, content_type = get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def ports(settings) -> dict[str, int]:
    return {"rasa": settings.rasa_port, "actions": settings.action_port,
            "console": settings.console_port}


def test_every_process_answers_liveness_and_readiness_in_json_without_secrets(assistant):
    expected_checks = {"rasa": {"model", "frustration_model", "ar_database", "tracker_store",
                                "action_server"},
                       "actions": {"ar_database"},
                       "console": {"ar_database", "tracker_store"}}
    for process, port in ports(assistant).items():
        status, body, content_type = get(f"http://127.0.0.1:{port}{LIVE_PATH}")
        assert (status, json.loads(body)) == (200, {"status": "ok"}), process
        status, body, content_type = get(f"http://127.0.0.1:{port}{READY_PATH}")
        report = json.loads(body)
        assert status == 200 and content_type == "application/json", (process, body)
        assert report["status"] == "ready" and set(report["checks"]) == expected_checks[process]
        assert all(check["ok"] for check in report["checks"].values())
        assert assistant.rasa_auth_token not in body and "sqlite" not in body


def test_the_counters_move_by_exactly_what_was_sent(assistant, twilio_api):  # noqa: F811
    before = scrape(assistant.rasa_port)
    jane = Phone(assistant, twilio_api, JANE)
    jane.new_messages()
    jane.texts("hi, what's our current balance?")
    assert "$16,225.50" in jane.reads()
    jane.texts("agent please")  # a handoff, recorded in the ledger (no Slack here)
    assert re.search(r"HND-[2-9A-Z]{6}", jane.reads())
    visitor = WebVisitor(assistant)
    visitor.says("what do we owe?")
    visitor.says("ACME-001")
    forged = jane.post(jane.fields("what's our balance?"), signature="bm90IGEgc2lnbmF0dXJl")
    assert forged.status == 403
    assert visitor.post({"text": ""})[0] == 400
    assert visitor.post(b"not json")[0] == 400
    assert visitor.post({"text": "x" * 2001})[0] == 413
    after = scrape(assistant.rasa_port)

    assert moved(before, after, "ar_messages_received_total", channel="sms", language="en") == 2
    assert moved(before, after, "ar_messages_received_total", channel="webchat",
                 language="en") == 2
    assert sum(moved(before, after, name, **dict(labels)) for name, labels in after
               if name == "ar_messages_received_total") == 4
    assert moved(before, after, "ar_reply_latency_seconds_count", channel="sms") == 2
    assert moved(before, after, "ar_reply_latency_seconds_count", channel="webchat") == 2
    assert moved(before, after, "ar_reply_latency_seconds_sum", channel="webchat") > 0
    assert moved(before, after, "ar_webhook_rejections_total", channel="twilio",
                 reason="signature") == 1
    assert moved(before, after, "ar_webhook_rejections_total", channel="webchat",
                 reason="malformed") == 2
    assert moved(before, after, "ar_webhook_rejections_total", channel="webchat",
                 reason="too_large") == 1
    # Jane's reply went out: nothing waits in the outbox, read from the ledger.
    assert after[("ar_outbox_messages", (("channel", "sms"), ("status", "pending")))] == 0
    assert after[("ar_outbox_messages", (("channel", "sms"), ("status", "failed")))] == 0
    assert moved(before, after, "ar_handoffs_total", state="opened") == 1
    assert moved(before, after, "ar_handoffs_total", state="claimed") == 0
    print("sms reply latency (s):",
          moved(before, after, "ar_reply_latency_seconds_sum", channel="sms"))


LUCIA = "+34612345678"  # SOYLENT-004, Spanish, by SMS


def test_a_send_twilio_refuses_is_counted_and_waits_in_the_outbox(assistant,
                                                                  twilio_api):  # noqa: F811
    before = scrape(assistant.rasa_port)
    lucia = Phone(assistant, twilio_api, LUCIA)
    lucia.new_messages()
    twilio_api.fail_next(1)
    lucia.texts("¿cuánto debemos?")
    # Retried from the outbox a second later (OUTBOX_FIRST_RETRY_SECONDS=1 here).
    assert twilio_api.wait_for(lambda: bool(twilio_api.sent_to(LUCIA)))
    after = scrape(assistant.rasa_port)
    assert moved(before, after, "ar_send_failures_total", channel="sms") == 1
    assert moved(before, after, "ar_messages_received_total", channel="sms", language="es") == 1
    pending = ("ar_outbox_messages", (("channel", "sms"), ("status", "pending")))
    assert twilio_api.wait_for(lambda: scrape(assistant.rasa_port)[pending] == 0)


def test_an_action_that_fails_is_counted_by_the_action_server(assistant):
    before = scrape(assistant.action_port)
    call = json.dumps({"next_action": "action_that_does_not_exist", "sender_id": "ops-test",
                       "tracker": {"sender_id": "ops-test", "slots": {}, "events": []},
                       "domain": {}, "version": "3.6.21"}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{assistant.action_port}/webhook", call,
                                     {"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 404
    after = scrape(assistant.action_port)
    assert moved(before, after, "ar_action_errors_total", action="action_that_does_not_exist",
                 reason="not_found") == 1


def log_lines(settings) -> dict[str, list[dict]]:
    """Every line of every server's log, parsed: each must be one JSON object."""
    found = {}
    for path in sorted(Path(settings.state_dir, "logs").glob("*.log")):
        lines = path.read_text(encoding="utf-8").splitlines()
        parsed = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                pytest.fail(f"{path.name}: a line that is not JSON: {line[:200]!r}")
            assert isinstance(entry, dict) and FIELDS <= set(entry), line
            parsed.append(entry)
        found[path.stem] = parsed
    return found


def test_the_logs_hold_every_turn_and_none_of_the_personal_data_sent(assistant,
                                                                      twilio_api):  # noqa: F811
    klaus = Phone(assistant, twilio_api, KLAUS)
    klaus.new_messages()
    sent = ["Hallo, wie hoch ist unser offener Saldo?",
            "Bitte schicken Sie die Rechnung an klaus.weber@globex.example",
            "Unsere IBAN ist DE89 3704 0044 0532 0130 00, Telefon +49 151 12345678"]
    for text in sent:
        klaus.texts(text)
    assert klaus.reads()
    visitor = WebVisitor(assistant)
    visitor.says("we are Hartmann Logistik, my name is Greta Hartmann")
    time.sleep(1)  # the last lines reach the files

    found = log_lines(assistant)
    assert set(found) == {"rasa", "actions", "console"}
    assert {e["process"] for e in found["rasa"]} == {"rasa"}
    assert {e["process"] for e in found["actions"]} == {"actions"}
    everything = "\n".join(json.dumps(e, ensure_ascii=False) for lines in found.values()
                           for e in lines)
    personal = [*sent, "we are Hartmann Logistik, my name is Greta Hartmann",
                "klaus.weber@globex.example", "jane.doe@acme.example", "DE89 3704",
                "4915112345678", "+49 151 12345678", "4155550101", "Klaus Weber",
                assistant.rasa_auth_token, "twilio-test-auth-token"]
    for text in personal:
        assert text not in everything, f"the logs show {text!r}"
    assert not re.search(r"\+\d{8,}", everything)

    turns = [e for e in found["rasa"] if e.get("event") == "turn"]
    klaus_key = logs.conversation_key(KLAUS, assistant.rasa_auth_token)
    his = [e for e in turns if e.get("conversation") == klaus_key]
    assert len(his) == len(sent)
    assert all(e["channel"] == "whatsapp" and e["level"] == "info" for e in his)
    assert all(e["language"] == "de" for e in his)
    assert all(isinstance(e["latency_ms"], float) for e in his)
    # At DEBUG the action server writes a line per action call, naming the same
    # conversation (and its own DEBUG lines hold none of the personal data either).
    calls = [e for e in found["actions"]
             if e.get("conversation") == klaus_key and e.get("event") == "action"]
    assert calls and all(e["status"] == 200 for e in calls)
    assert "action_tell_balance" in {e["action"] for e in calls}
    assert all(isinstance(e["latency_ms"], float) for e in calls)


def _pid_of_action_server(port: int) -> int:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"integrations.action_server" in argv and str(port).encode() in argv:
                return int(proc.name)
    pytest.fail("the action server of this test was not found")


def test_the_rasa_server_is_not_ready_while_the_action_server_is_down(assistant):
    """Last in the module: it stops this module's action server."""
    before = scrape(assistant.rasa_port)
    os.kill(_pid_of_action_server(assistant.action_port), signal.SIGTERM)
    deadline = time.monotonic() + 30
    status, body = 200, ""
    while time.monotonic() < deadline and status == 200:
        status, body, _ = get(f"http://127.0.0.1:{assistant.rasa_port}{READY_PATH}")
        time.sleep(0.5)
    report = json.loads(body)
    assert status == 503 and report["status"] == "not ready"
    assert report["checks"]["action_server"]["ok"] is False
    assert report["checks"]["model"]["ok"] and report["checks"]["ar_database"]["ok"]
    status, body, _ = get(f"http://127.0.0.1:{assistant.rasa_port}{LIVE_PATH}")
    assert status == 200  # alive: a process manager must not restart it for this
    # A message now is held with a holding answer (tests/integration/test_faults.py), not
    # sent into a turn whose actions cannot run: no action is tried, none is counted.
    status, data = WebVisitor(assistant).post({"text": "what do we owe?"})
    assert status == 202 and data["messages"]  # the holding answer
    after = scrape(assistant.rasa_port)
    failed = {dict(labels)["action"]: after[(name, labels)] - before.get((name, labels), 0)
              for name, labels in after if name == "ar_action_errors_total"
              and dict(labels)["reason"] == "unreachable"}
    assert not any(failed.values())
