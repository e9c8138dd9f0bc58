"""The settings that point the assistant at the fakes of Twilio's and Slack's APIs, for
a module's servers (put in the environment before the `assistant` fixture starts them)."""

from __future__ import annotations

import contextlib
import os
from typing import Iterator
from unittest import mock

from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.integration.test_slack_channel import SECRET, TOKEN
from tests.integration.test_twilio_channel import (ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL,
                                                   SMS_NUMBER, WHATSAPP_SENDER)


def provider_settings(twilio: FakeTwilioAPI, slack: FakeSlackAPI, **extra: str
                      ) -> dict[str, str]:
    """Twilio (SMS and WhatsApp) and Slack configured against the fakes, fast retries."""
    return {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": SMS_NUMBER, "TWILIO_WHATSAPP_FROM": WHATSAPP_SENDER,
            "TWILIO_API_BASE_URL": twilio.base_url, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_BASE_URL": slack.base_url,
            "OUTBOX_FIRST_RETRY_SECONDS": "1", "OUTBOX_POLL_SECONDS": "0.5", **extra}


@contextlib.contextmanager
def faked_providers(**extra: str) -> Iterator[dict]:
    """The fakes of Twilio and Slack running, and the environment pointing at them (with
    extra settings), for a module's servers: {"twilio": ..., "slack": ...}."""
    with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as twilio, FakeSlackAPI(TOKEN) as slack:
        with mock.patch.dict(os.environ, provider_settings(twilio, slack, **extra)):
            yield {"twilio": twilio, "slack": slack}
