"""Servers sharing one database share one outbox: two couriers (two servers, each in its
own thread and event loop) working the same due rows at once send every reply exactly
once, in order per recipient, through the real slack_sdk client and a fake Slack; on
PostgreSQL as in production and on SQLite as embedded."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from collections import defaultdict

import pytest

from bot import clock
from bot.ledger.models import OutboundMessage
from bot.ledger.schema import migrate
from bot.messaging import channel_store
from bot.runtime.app import ARApp
from bot.settings import load_settings
from integrations.slack_api import SlackWebApi, slack_courier, thread_address
from tests.fakes.slack_api import FakeSlackAPI

TOKEN = "xoxb-outbox-claims"
THREADS = [thread_address(f"C0CUST{n}", f"17900000{n:02d}.000100") for n in range(8)]
REPLIES = 5


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ar.db'}"
    return request.getfixturevalue("postgres").create_database(
        f"outbox_{abs(hash(str(tmp_path))) % 10**8}")


def test_two_servers_send_each_reply_exactly_once_in_order(tmp_path, database_url):
    with FakeSlackAPI(TOKEN) as slack:
        settings = load_settings({"AR_STATE_DIR": str(tmp_path), "AR_DATABASE_URL": database_url,
                                  "SLACK_BOT_TOKEN": TOKEN,
                                  "SLACK_API_BASE_URL": slack.base_url})
        app = ARApp(settings)
        migrate(app.database)
        with app.session() as session:
            for thread in THREADS:
                channel, _, ts = thread.partition("/")
                channel_store.queue_replies(session, "slack", thread,
                                            [f"{thread} #{n}" for n in range(REPLIES)],
                                            clock.now(), thread=ts)
        start = threading.Barrier(2)

        def server():
            courier = slack_courier(ARApp(settings), SlackWebApi(settings),
                                    first_retry_seconds=0)
            start.wait()
            for _ in range(3):  # retry rounds, as each server runs them
                asyncio.run(courier.deliver_due())

        workers = [threading.Thread(target=server) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        posted = defaultdict(list)
        for post in slack.posts():
            posted[f"{post.channel}/{post.thread_ts}"].append(post.text)
    assert dict(posted) == {t: [f"{t} #{n}" for n in range(REPLIES)] for t in THREADS}
    with app.session() as session:
        statuses = {row.status for row in session.query(OutboundMessage)}
    assert statuses == {"sent"}
    app.database.engine.dispose()


def test_a_claim_left_by_a_killed_server_runs_out_and_another_sends_it(tmp_path):
    app = ARApp(load_settings({"AR_STATE_DIR": str(tmp_path)}))
    migrate(app.database)
    now = clock.now()
    with app.session() as session:
        [row] = channel_store.queue_replies(session, "sms", "+14155550101", ["hi"], now)
    with app.session() as session:
        assert channel_store.claim(session, row.id, "killed-server", now)
    with app.session() as session:  # the claim still holds: nobody else sends it
        assert not channel_store.claim(session, row.id, "other-server", now)
    later = now + timedelta(seconds=channel_store.CLAIM_SECONDS + 1)
    with app.session() as session:
        assert channel_store.claim(session, row.id, "other-server", later)


def test_a_delivery_is_recorded_with_its_receipt_or_not_at_all(tmp_path, database_url):
    """One INSERT that does nothing for a repeated delivery, inside the receipt's
    transaction: a retry is recognised, and a receipt rolled back records nothing."""
    app = ARApp(load_settings({"AR_STATE_DIR": str(tmp_path), "AR_DATABASE_URL": database_url}))
    migrate(app.database)
    now = clock.now()
    with pytest.raises(RuntimeError):
        with app.session() as session:
            assert channel_store.first_delivery(session, "twilio", "SM1", now)
            raise RuntimeError("the message could not be kept")
    with app.session() as session:
        assert channel_store.first_delivery(session, "twilio", "SM1", now)
        assert not channel_store.first_delivery(session, "twilio", "SM1", now)
        assert channel_store.first_delivery(session, "slack", "SM1", now)
    app.database.engine.dispose()
