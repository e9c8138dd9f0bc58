"""The benchmark harness for a few seconds against the real servers (the `assistant`
fixture) on a small generated ledger: simulated customers over REST and the signed SMS and
Slack webhooks, replies reaching the reply sink through the real twilio and slack_sdk
clients. Every reply must
be right and the report must hold every figure; the figures' values are only printed."""

from __future__ import annotations

import json
import os
from unittest import mock

import pytest

from bot.bench.command import connect
from bot.bench.ledger import generate
from bot.bench.procinfo import listening_pid
from bot.bench.report import table
from bot.bench.run import BenchOptions, measure_now
from bot.bench.servers import ACCOUNT_SID, ProviderSecrets, free_port, provider_environment
from bot.bench.sink import ReplySink
from bot.bench.targets import OurAssistant

pytestmark = pytest.mark.servers

LEDGER = generate(customers=60, big_invoices=300, big_phones=4)
KEYS = ProviderSecrets.fresh()


@pytest.fixture(scope="module", autouse=True)
def sink_port():
    """Where the reply sink will listen, set for the servers before they start."""
    port = free_port()
    with mock.patch.dict(os.environ, provider_environment(port, KEYS)):
        yield port


@pytest.fixture(scope="module")
def ledger_folder(tmp_path_factory, sink_port):
    return LEDGER.write_csv(tmp_path_factory.mktemp("bench-ledger"))


def test_the_harness_gets_every_reply_right_and_reports_every_figure(assistant, sink_port):
    rest = f"http://127.0.0.1:{assistant.rasa_port}"
    pids = {"rasa": listening_pid(assistant.rasa_port)}  # the actions run inside it
    assert all(pids.values())
    sink = ReplySink(ACCOUNT_SID, KEYS.twilio_auth_token, sink_port, KEYS.slack_bot_token)
    ours = OurAssistant(rest, pids, LEDGER, *connect(rest, sink, KEYS))

    report = measure_now([ours], sink, BenchOptions(duration=8.0, loads=(1, 6), long_turns=8))
    print("\n" + table(report))

    assert [f["concurrency"] for f in report["loads"]] == [1, 6]
    for figures in report["loads"]:
        assert figures["errors"] == 0 and figures["wrong_replies"] == 0, figures["examples"]
        assert figures["messages"] > 0 and figures["throughput_msg_s"] > 0
        assert set(figures["latency_by_channel"]) == {"rest", "sms", "slack"}
        assert set(figures["webhook_ack_by_channel"]) == {"sms", "slack"}
        for latency in (figures["latency"], *figures["latency_by_channel"].values(),
                        *figures["webhook_ack_by_channel"].values()):
            assert None not in (latency["p50_ms"], latency["p95_ms"], latency["p99_ms"])
        assert figures["rss_peak_mb"]["rasa"] > 0 and figures["server_cpu_ms_per_msg"] > 0
    long = report["long_conversations"][0]
    assert long["problems"] == [] and long["turns_answered"] == 8
    assert None not in (long["turn_1_ms"], long["turn_last_ms"], long["early_p50_ms"],
                        long["late_p50_ms"], long["late_over_early"])
    assert len(long["latencies_ms"]) == 8
    assert report["sink_refused"] == 0
    assert {"cpus", "memory_gib", "load_average"} <= set(report["facts"]["machine"])
    json.dumps(report)  # the report file is this, as JSON
