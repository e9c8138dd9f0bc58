"""A document into a Slack thread with slack_sdk's files_upload_v2 against the fake of
Slack's Web API, and what the fake refuses as Slack does."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.errors import SlackApiError

from bot.settings import load_settings
from integrations.slack_api import SlackWebApi
from tests.fakes.slack_api import FakeSlackAPI

TOKEN = "xoxb-test"


@pytest.fixture
def slack():
    with FakeSlackAPI(TOKEN) as api:
        yield api


def web_api(slack, token=TOKEN) -> SlackWebApi:
    return SlackWebApi(load_settings({"SLACK_BOT_TOKEN": token,
                                      "SLACK_API_BASE_URL": slack.base_url}))


def test_a_file_lands_in_the_thread_it_is_sent_to(slack):
    file_id = asyncio.run(web_api(slack).upload("C0SHARED/1790000000.000001", "INV-1.pdf",
                                                b"%PDF-1.7 bytes", "INV-1.pdf"))
    (upload,) = slack.uploads("C0SHARED")
    assert upload.file_id == file_id and upload.thread_ts == "1790000000.000001"
    assert (upload.filename, upload.content) == ("INV-1.pdf", b"%PDF-1.7 bytes")
    assert slack.posts() == []


def test_a_wrong_token_uploads_nothing(slack):
    with pytest.raises(SlackApiError) as refused:
        asyncio.run(web_api(slack, "xoxb-wrong").upload("C0SHARED/1.2", "a.pdf", b"%PDF",
                                                        "a.pdf"))
    assert refused.value.response["error"] == "invalid_auth"
    assert slack.uploads() == []


def test_a_file_slack_could_not_take_stays_in_the_outbox_and_goes_next_time(
        slack, demo_app, tmp_path):
    from datetime import datetime, timezone

    from sqlalchemy import select

    from bot.conversation.identity import identify
    from bot.documents.delivery import DocumentDesk, Route
    from bot.ledger.models import OutboundMessage
    from bot.runtime.app import ARApp
    from integrations.document_senders import slack_file_sender
    from integrations.outbox import Courier
    from tests.conftest import BUSINESS_DATE, demo_settings

    settings = demo_settings(tmp_path, SLACK_BOT_TOKEN=TOKEN,
                             SLACK_API_BASE_URL=slack.base_url)
    now = datetime.now(timezone.utc)
    with demo_app.session() as session:
        peter = identify(session, "U03INITECH", "slack", now)
        DocumentDesk(settings, now, BUSINESS_DATE).deliver(
            session, peter, "statement", Route("slack", "U03INITECH", "C0INITECH", "17.1"), "en")
    app = ARApp(settings)
    api = SlackWebApi(settings)
    courier = Courier(app, {"slack": api.post}, 0,
                      documents={"slack": slack_file_sender(app, api)})
    slack.fail_next_uploads(1)
    assert asyncio.run(courier.deliver("slack", "C0INITECH/17.1")) == 0
    assert slack.uploads() == []
    with app.session() as session:
        row = session.scalars(select(OutboundMessage)).one()
        assert (row.status, row.attempts) == ("pending", 1)
    assert asyncio.run(courier.deliver("slack", "C0INITECH/17.1")) == 1
    (upload,) = slack.uploads("C0INITECH")
    assert upload.thread_ts == "17.1" and upload.filename == "statement-INITECH-003.pdf"
