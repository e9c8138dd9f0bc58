"""SMS and Slack through nginx to two Rasa servers sharing PostgreSQL and Redis: consecutive
messages of one phone (or one Slack user's direct messages, Slack's re-deliveries of them
included) reach different servers, each acknowledged at once, and every one is answered
once, in the order received, never two of one sender at a time (the per-sender queue in
the shared ledger database, claimed by conditional UPDATEs)."""

from __future__ import annotations

import json
import os
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from twilio.request_validator import RequestValidator

from bot.bench.signing import slack_signature
from bot.runtime.app import ARApp
from integrations.slack_api import thread_address
from tests.answered import wait_until_answered
from tests.fakes import slack_events as shapes
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.production.conftest import turns

pytestmark = pytest.mark.servers

ACCOUNT_SID, AUTH_TOKEN = "AC" + "2" * 32, "two-servers-twilio-token"
SMS_NUMBER = "+15005550006"
PATH = "/webhooks/twilio/webhook"
MESSAGES = ("hello", "what can you do?", "thanks", "hi there")
PHONES = 6
GAP_SECONDS = 0.3  # a phone's next message follows before the answer to the one before
SLACK_SECRET, SLACK_TOKEN = "two-servers-slack-secret", "xoxb-two-servers"
SLACK_PATH = "/webhooks/slack/webhook"
SLACK_USERS = 6
SLACK_RETRIES = 3  # Slack re-delivers an event up to three times


@pytest.fixture(scope="module", autouse=True)
def twilio():
    """The fake Twilio API, set before the topology starts its servers."""
    with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as api:
        with mock.patch.dict(os.environ, {
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": SMS_NUMBER, "TWILIO_API_BASE_URL": api.base_url}):
            yield api


@pytest.fixture(scope="module", autouse=True)
def slack():
    """The fake Slack Web API, set before the topology starts its servers."""
    with FakeSlackAPI(SLACK_TOKEN) as api:
        with mock.patch.dict(os.environ, {
                "SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_SIGNING_SECRET": SLACK_SECRET,
                "SLACK_API_BASE_URL": api.base_url}):
            yield api


def texted(production, phone: str, body: str) -> tuple[int, str, float, float]:
    """Post an SMS as Twilio does, through nginx: (status, upstream, when it was posted,
    when it was acknowledged)."""
    sid = "SM" + uuid.uuid4().hex
    fields = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID,
              "From": phone, "To": SMS_NUMBER, "Body": body, "NumMedia": "0"}
    url = production.settings.public_base_url + PATH  # nginx, the address "Twilio" calls
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, fields)
    request = urllib.request.Request(url, urllib.parse.urlencode(fields).encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers.get("X-AR-Upstream", ""), started, \
            time.monotonic()


def test_sms_across_two_servers_answered_once_each_in_the_order_received(production, twilio):
    phones = [f"+1555{n:03d}{uuid.uuid4().int % 10000:04d}" for n in range(PHONES)]

    def send(phone: str, index: int, body: str):
        time.sleep(index * GAP_SECONDS)
        return texted(production, phone, body)

    with ThreadPoolExecutor(max_workers=PHONES * len(MESSAGES)) as pool:
        posted = list(pool.map(lambda job: send(*job), [
            (phone, i, body) for phone in phones for i, body in enumerate(MESSAGES)]))
    assert [status for status, *_ in posted] == [200] * len(posted)
    upstreams = {upstream for _, upstream, _, _ in posted}
    print(f"\n{len(posted)} SMS acknowledged by {len(upstreams)} servers, slowest in "
          f"{max(end - start for *_, start, end in posted) * 1000:.0f} ms")
    assert len(upstreams) == 2, upstreams  # both servers took some
    ledger = ARApp(production.settings)
    spans = {(phones[n // len(MESSAGES)], MESSAGES[n % len(MESSAGES)]): (start, end)
             for n, (*_, start, end) in enumerate(posted)}
    ordered = overlapping = 0
    for phone in phones:
        wait_until_answered(ledger, "sms", phone)
        held = turns(production.events(phone))
        said = [text for text, _ in held]
        assert sorted(said) == sorted(MESSAGES), (phone, held)  # each once
        assert all(bot_said for _, bot_said in held), (phone, held)  # each answered
        # The order received: a message acknowledged before the next was posted is
        # answered before it (closer ones may reach the two servers in either order).
        for earlier, later in zip(MESSAGES, MESSAGES[1:]):
            if spans[(phone, earlier)][1] < spans[(phone, later)][0]:
                ordered += 1
                assert said.index(earlier) < said.index(later), (phone, said)
            else:
                overlapping += 1
        # what the phone received is what the transcript says, in that order, once
        received = [m.body for m in twilio.sent_to(phone)]
        assert " ".join(received).split() == " ".join(
            text for _, bot_said in held for text in bot_said).split(), (phone, received)
    print(f"{ordered} consecutive pairs acknowledged apart, answered in that order; "
          f"{overlapping} posted before the one before was acknowledged")
    assert ordered > overlapping


def delivered(production, payload: dict, retry: int = 0) -> tuple[int, str, float, float]:
    """Post a Slack event as Slack does (signed, to the public address, nginx); retry: the
    number of a re-delivery (X-Slack-Retry-Num). (status, upstream, posted, acknowledged)"""
    body = json.dumps(payload)
    stamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
               "X-Slack-Signature": slack_signature(SLACK_SECRET, stamp, body)}
    if retry:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    request = urllib.request.Request(production.settings.public_base_url + SLACK_PATH,
                                     body.encode(), headers)
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers.get("X-AR-Upstream", ""), started, \
            time.monotonic()


def test_slack_direct_messages_across_two_servers_answered_once_each_in_the_order_sent(
        production, slack):
    """Each user writes MESSAGES GAP_SECONDS apart in their DM with the app; right after
    each is acknowledged Slack delivers it again (same event_id), until a re-delivery
    reaches the other server. In each message's thread the user sees its answer, once,
    and the answers come in the order the messages were sent."""
    users = [f"U0TWO{n}{uuid.uuid4().hex[:6].upper()}" for n in range(SLACK_USERS)]
    messages = {(user, i): shapes.envelope(shapes.user_message(
        user, body, "D" + user[1:], channel_type="im", team=shapes.OUR_TEAM))
        for user in users for i, body in enumerate(MESSAGES)}

    def send(user: str, index: int):
        time.sleep(index * GAP_SECONDS)
        first = delivered(production, messages[(user, index)])
        again = []
        for retry in range(1, SLACK_RETRIES + 1):
            again.append(delivered(production, messages[(user, index)], retry))
            if again[-1][1] != first[1]:
                break
        return first, again

    with ThreadPoolExecutor(max_workers=SLACK_USERS * len(MESSAGES)) as pool:
        posted = dict(zip(messages, pool.map(lambda key: send(*key), messages)))
    statuses = [d[0] for first, again in posted.values() for d in (first, *again)]
    assert statuses == [200] * len(statuses)
    upstreams = {first[1] for first, _ in posted.values()}
    moved = sum(any(d[1] != first[1] for d in again) for first, again in posted.values())
    print(f"\n{len(posted)} Slack messages acknowledged by {len(upstreams)} servers, "
          f"{len(statuses) - len(posted)} re-deliveries, {moved} of the messages delivered "
          f"again at the other server; slowest acknowledgement "
          f"{max(end - start for *_, start, end in (f for f, _ in posted.values())) * 1000:.0f} ms")
    assert len(upstreams) == 2, upstreams  # both servers took first deliveries
    assert moved > 0  # and re-deliveries reached the server that had not had the message
    ledger = ARApp(production.settings)
    ordered = overlapping = 0
    for user in users:
        channel = "D" + user[1:]
        threads = [messages[(user, i)]["event"]["ts"] for i in range(len(MESSAGES))]
        for ts in threads:
            wait_until_answered(ledger, "slack", user, ("slack", thread_address(channel, ts)))
        held = turns(production.events(user))
        said = [text for text, _ in held]
        assert sorted(said) == sorted(MESSAGES), (user, held)  # each once
        seen = slack.posts(channel)
        assert {p.thread_ts for p in seen} == set(threads), (user, seen)
        for text, bot_said in held:
            assert bot_said, (user, text, held)  # answered
            # what the user reads in the message's thread is that answer, once
            in_thread = [p.text for p in seen if p.thread_ts == threads[MESSAGES.index(text)]]
            assert " ".join(in_thread).split() == " ".join(bot_said).split(), (user, text, seen)
        # The order sent: a message acknowledged before the next was posted is answered
        # before it, and the user reads all of its answer before the next one's.
        for i in range(len(MESSAGES) - 1):
            (*_, acknowledged), _ = posted[(user, i)]
            (_, _, next_posted, _), _ = posted[(user, i + 1)]
            if acknowledged < next_posted:
                ordered += 1
                assert said.index(MESSAGES[i]) < said.index(MESSAGES[i + 1]), (user, said)
                last = max(n for n, p in enumerate(seen) if p.thread_ts == threads[i])
                first = min(n for n, p in enumerate(seen) if p.thread_ts == threads[i + 1])
                assert last < first, (user, MESSAGES[i], [(p.thread_ts, p.text) for p in seen])
            else:
                overlapping += 1
    print(f"{ordered} consecutive pairs acknowledged apart, answered in that order; "
          f"{overlapping} posted before the one before was acknowledged")
    assert ordered > overlapping
