"""Socket Mode (SLACK_APP_TOKEN), for a team without a public URL: the same app connects to
Slack over a websocket (a fake of Slack's, on loopback) and gets the collectors' buttons and
thread replies, and customers' Slack messages, through it; the Web API posts as before."""

from __future__ import annotations

import os
from unittest import mock

import pytest

from bot.handoff.card import CLAIM
from tests.fakes.slack_api import FakeSlackAPI, SlackUser
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.integration.test_handoff import (AR_CHANNEL, MARIA, SECRET, TOKEN, ARTeam, Texting,
                                            button_payload, thread_event, wait_for)
from tests.integration.test_slack_channel import SlackChannel
from tests.integration.test_twilio_channel import (ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL,
                                                   SMS_NUMBER)

pytestmark = pytest.mark.servers

APP_TOKEN = "xapp-socket-mode-test"


@pytest.fixture(scope="module", autouse=True)
def apis():
    with FakeSlackAPI(TOKEN, app_token=APP_TOKEN) as slack, \
            FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        slack.users[MARIA] = SlackUser("maria@northwind.example", True, "Maria Lopez")
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_BASE_URL": slack.base_url,
               "SLACK_HANDOFF_CHANNEL": AR_CHANNEL, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
               "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": SMS_NUMBER,
               "TWILIO_API_BASE_URL": twilio.base_url, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
               "OUTBOX_FIRST_RETRY_SECONDS": "0.3", "OUTBOX_POLL_SECONDS": "0.3",
               "AR_OFFICE_HOURS": "Mon-Sun 00:00-23:59 UTC"}
        with mock.patch.dict(os.environ, env):
            yield slack, twilio


def test_buttons_replies_and_customers_come_over_the_socket(assistant, apis):
    from bot.runtime.app import ARApp

    slack, twilio = apis
    wait_for(lambda: slack.socket_connected, "the app connects over Socket Mode")
    ar_team = ARTeam(assistant, slack)
    jane = Texting(assistant, twilio, "+14155550101")
    jane.new_messages()
    card = jane.asks_for_a_person("agent please", ar_team)

    envelope = slack.push("interactive", button_payload(card, CLAIM, MARIA))
    wait_for(lambda: envelope in slack.acks, "the button is acknowledged")
    assert "Maria Lopez from our AR team" in jane.got("Maria Lopez")
    slack.push("events_api", thread_event(card, MARIA, "Hello Jane, over the socket."))
    assert "over the socket" in jane.got("over the socket")

    shared = SlackChannel(ARApp(assistant), slack, "C0INITECHSM")
    question = shared.event("U03INITECH", "what's our balance?")
    slack.push("events_api", question)
    assert "Initech Ltd has" in shared.answer_to(question)
