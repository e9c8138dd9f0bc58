"""Replies to Slack go through the outbox (integrations.outbox): a failed
chat.postMessage is kept and sent again, before any later reply in its channel (its
thread or the next message's), through the real slack_sdk client and a fake Slack."""

from __future__ import annotations

import asyncio
import multiprocessing

import pytest

from bot import clock
from bot.messaging import channel_store
from bot.runtime.app import ARApp
from bot.settings import load_settings
from integrations.outbox import Courier
from integrations.slack_api import SlackWebApi, slack_courier, thread_address
from tests.fakes.slack_api import FakeSlackAPI

TOKEN = "xoxb-unit-test"
CHANNEL, THREAD = "C0SHARED", "1790000000.000100"
PLACE = thread_address(CHANNEL, THREAD)


@pytest.fixture
def slack():
    with FakeSlackAPI(TOKEN) as api:
        yield api


def ledger_and_courier(tmp_path, slack, token=TOKEN) -> tuple[ARApp, Courier]:
    settings = load_settings({"AR_STATE_DIR": str(tmp_path), "SLACK_BOT_TOKEN": token,
                              "SLACK_API_BASE_URL": slack.base_url})
    app = ARApp(settings)
    return app, slack_courier(app, SlackWebApi(settings), first_retry_seconds=0)


def queue(app: ARApp, *bodies: str) -> None:
    with app.session() as session:
        channel_store.queue_replies(session, "slack", PLACE, bodies, clock.now(),
                                    thread=THREAD)


def test_replies_are_posted_in_their_thread_in_order(tmp_path, demo_db, slack):
    app, outbox = ledger_and_courier(tmp_path, slack)
    queue(app, "first", "second")
    asyncio.run(outbox.deliver("slack", PLACE))
    assert [(p.channel, p.thread_ts, p.text) for p in slack.posts()] == [
        (CHANNEL, THREAD, "first"), (CHANNEL, THREAD, "second")]


def test_a_failed_post_is_retried_before_later_replies_and_nothing_is_lost(
        tmp_path, demo_db, slack):
    app, outbox = ledger_and_courier(tmp_path, slack)
    slack.fail_next(1)
    queue(app, "first", "second")
    asyncio.run(outbox.deliver("slack", PLACE))
    assert slack.failed_posts == 1 and slack.posts() == []
    asyncio.run(outbox.deliver_due())
    assert [p.text for p in slack.posts()] == ["first", "second"]
    asyncio.run(outbox.deliver_due())
    assert len(slack.posts()) == 2


def test_a_wrong_token_is_a_failure_kept_for_retry_not_a_crash(tmp_path, demo_db, slack):
    app, outbox = ledger_and_courier(tmp_path, slack, token="xoxb-wrong")
    queue(app, "first")
    asyncio.run(outbox.deliver("slack", PLACE))
    assert slack.posts() == []
    with app.session() as session:
        [pending] = channel_store.pending_for(session, "slack", PLACE)
    assert pending.body == "first" and pending.attempts == 1


def test_a_worker_forked_after_the_courier_was_made_never_sends_what_another_claimed(
        tmp_path, demo_db, slack):
    # Sanic forks its workers (RASA_WORKERS=2) after the channels and their couriers exist.
    app, courier = ledger_and_courier(tmp_path, slack)
    queue(app, "Acme Corporation has $16,225.50 open.")
    with app.session() as session:
        [row] = channel_store.pending_for(session, "slack", PLACE)
        # this worker has claimed it and is sending it
        assert channel_store.claim(session, row.id, courier.worker, clock.now())
    other_worker = multiprocessing.get_context("fork").Process(
        target=lambda: asyncio.run(courier.deliver("slack", PLACE)))
    other_worker.start()
    other_worker.join(30)
    assert other_worker.exitcode == 0 and slack.posts() == []


def test_the_answer_to_a_later_message_waits_for_the_one_to_the_message_before(
        tmp_path, demo_db, slack):
    """Each message of a direct message is answered in its own thread. Server A answered
    the first and is posting its answer; server B has answered the second (A had finished
    with the first) and delivers: B's answer must not reach the customer before A's."""
    app, server_b = ledger_and_courier(tmp_path, slack)
    _, server_a = ledger_and_courier(tmp_path, slack)
    first, second = (thread_address("D0PETER", f"1790000000.00020{n}") for n in (1, 2))
    with app.session() as session:
        [row] = channel_store.queue_replies(session, "slack", first, ["Hello!"], clock.now(),
                                            thread=first.partition("/")[2])
        assert channel_store.claim(session, row.id, server_a.worker, clock.now())
    with app.session() as session:
        channel_store.queue_replies(session, "slack", second, ["I can help with that."],
                                    clock.now(), thread=second.partition("/")[2])
    asyncio.run(server_b.deliver("slack", second))
    assert slack.posts() == []  # behind the answer A is posting
    asyncio.run(server_a.deliver("slack", first))
    assert [(f"{p.channel}/{p.thread_ts}", p.text) for p in slack.posts()] == [
        (first, "Hello!"), (second, "I can help with that.")]


def test_after_an_outage_a_conversation_gets_its_answers_in_order_none_overtaking(
        tmp_path, demo_db, slack):
    """Slack down while two messages of one DM and one of another were answered: once it
    is back, delivering the later answer sends the earlier one first; the other DM's
    answer is its own and goes in the retry round."""
    app, outbox = ledger_and_courier(tmp_path, slack)
    first, second = (thread_address("D0PETER", f"1790000000.00030{n}") for n in (1, 2))
    elsewhere = thread_address("D0KLAUS", "1790000000.000301")
    slack.down()
    for place, body in ((first, "Hello!"), (second, "Thanks!"), (elsewhere, "Hallo!")):
        with app.session() as session:
            channel_store.queue_replies(session, "slack", place, [body], clock.now(),
                                        thread=place.partition("/")[2])
        asyncio.run(outbox.deliver("slack", place))
    assert slack.posts() == []
    slack.up()
    asyncio.run(outbox.deliver("slack", second))
    assert [p.text for p in slack.posts()] == ["Hello!", "Thanks!"]
    asyncio.run(outbox.deliver_due())
    assert [p.text for p in slack.posts()] == ["Hello!", "Thanks!", "Hallo!"]


def queue_through(courier: Courier, app: ARApp, place: str, *bodies: str):
    with app.session() as session:
        return courier.queue(session, "slack", place, list(bodies), clock.now(),
                             thread=place.partition("/")[2])


def test_replies_queued_with_nothing_waiting_are_their_couriers_alone_to_send(
        tmp_path, demo_db, slack):
    app, server_a = ledger_and_courier(tmp_path, slack)
    _, server_b = ledger_and_courier(tmp_path, slack)
    queued = queue_through(server_a, app, PLACE, "first", "second")
    assert {q.claimed_by for q in queued} == {server_a.claimant_at_queue}
    asyncio.run(server_b.deliver_due())  # another server's retry round: not its to send
    asyncio.run(server_a.deliver("slack", PLACE))  # not told what it queued: not sent
    assert slack.posts() == []
    assert asyncio.run(server_a.deliver("slack", PLACE, queued)) == 2
    asyncio.run(server_b.deliver_due())
    assert [p.text for p in slack.posts()] == ["first", "second"]  # each once, in order


def test_replies_queued_behind_one_not_yet_sent_go_after_it(tmp_path, demo_db, slack):
    app, outbox = ledger_and_courier(tmp_path, slack)
    slack.down()
    asyncio.run(outbox.deliver("slack", PLACE, queue_through(outbox, app, PLACE, "first")))
    slack.up()
    later = thread_address(CHANNEL, "1790000000.000200")  # the channel's next message
    queued = queue_through(outbox, app, later, "second")
    assert [q.claimed_by for q in queued] == [None]  # the failed one goes first
    asyncio.run(outbox.deliver("slack", later, queued))
    assert [p.text for p in slack.posts()] == ["first", "second"]


def test_a_failed_send_gives_up_the_claims_of_the_replies_behind_it(tmp_path, demo_db, slack):
    app, outbox = ledger_and_courier(tmp_path, slack)
    slack.fail_next(1)
    asyncio.run(outbox.deliver("slack", PLACE,
                               queue_through(outbox, app, PLACE, "first", "second")))
    assert slack.posts() == []
    with app.session() as session:
        assert [(p.body, p.claimed_by) for p in channel_store.pending_for(
            session, "slack", PLACE)] == [("first", None), ("second", None)]
    asyncio.run(outbox.deliver_due())  # the retry round sends both, in order
    assert [p.text for p in slack.posts()] == ["first", "second"]
