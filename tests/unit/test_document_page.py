"""The document link route without servers: the channel's answer to a request for a
link, over a demo ledger, with links signed with the state folder's secret."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from types import SimpleNamespace

import pytest

from bot.conversation.identity import identify
from bot.documents.delivery import DocumentDesk, Route
from bot.documents.links import link_secret, sign
from integrations.document_channel import DocumentInput
from tests.conftest import BUSINESS_DATE, demo_settings

NOW = datetime.now(timezone.utc)


@pytest.fixture
def served(demo_app, tmp_path):
    settings = demo_settings(tmp_path)
    channel = DocumentInput(settings)
    with demo_app.session() as session:
        outcome = DocumentDesk(settings, NOW, BUSINESS_DATE).deliver(
            session, identify(session, "+34612345678", "twilio", NOW), "statement",
            Route("twilio", "+34612345678"), "es")
    return channel, settings, outcome


class Answer:
    def __init__(self, response):
        self.status, self.headers, self.body = response.status, response.headers, response.body
        self.content_type = response.content_type
        self.text = response.body.decode(errors="replace")


def get(channel, url: str, language: str = "en") -> Answer:
    token = url.rsplit("/d/", 1)[1]
    return Answer(channel.answer(token, SimpleNamespace(headers={"Accept-Language": language})))


def test_a_link_serves_the_pdf_with_a_short_filename(served):
    app, _settings, outcome = served
    response = get(app, outcome.link)
    assert response.status == 200 and response.content_type == "application/pdf"
    assert response.headers["content-disposition"] == \
        'inline; filename="statement-SOYLENT-004.pdf"'
    assert response.headers["cache-control"] == "private, no-store"
    assert response.body.startswith(b"%PDF")


def test_an_expired_link_gets_a_page_in_the_customers_language(served):
    app, settings, outcome = served
    request_id = int(outcome.link.rsplit("/", 1)[1].split(".")[0], 36)
    expired = sign(link_secret(settings), request_id, NOW - timedelta(seconds=1))
    response = get(app, "/webhooks/documents/d/" + expired.token, language="en")
    assert response.status == 410 and "ha caducado" in response.text
    assert "%PDF" not in response.text


def test_a_document_that_cannot_be_made_gets_a_try_again_page(served, monkeypatch):
    app, _settings, outcome = served

    def broken(*_args):
        raise OSError("disk full")

    monkeypatch.setattr("bot.documents.access.request_file", broken)
    response = get(app, outcome.link, language="pt-BR")
    assert response.status == 503 and "Tente de novo" in response.text
