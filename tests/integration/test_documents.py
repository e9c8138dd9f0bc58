"""Invoice copies and statements that really arrive, end to end: the real Rasa and action
servers (started like `make run`), the Twilio and Slack fakes driven by the real SDKs, and
a real SMTP server (aiosmtpd) on loopback that the tests read the mail from."""

from __future__ import annotations

import io
import os
import re
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from unittest import mock

import pytest
from facturx import get_xml_from_pdf, xml_check_xsd
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from bot.conversation import formatting
from bot.documents.einvoice import NS
from bot.documents.links import link_secret, sign
from bot.ledger.figures import open_amount
from bot.ledger.models import DocumentRequest, Invoice, OutboundMessage
from bot.runtime.app import ARApp
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.smtp_server import MailServer
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.fakes.waiting import until
from tests.integration.test_slack_channel import SlackChannel
from tests.integration.test_twilio_channel import (ACCOUNT_SID, AUTH_TOKEN, SMS_NUMBER,
                                                   WHATSAPP_SENDER, Phone)
from tests.integration.test_webchat import WebVisitor

pytestmark = pytest.mark.servers

# The `assistant` fixture (real Rasa and action servers) comes from tests/integration/conftest.py.

PUBLIC_BASE_URL = "https://ar.example.com"
SLACK_SECRET, SLACK_TOKEN = "integration-signing-secret", "xoxb-integration"
LUCIA, JANE, KLAUS = "+34612345678", "+14155550101", "+4915112345678"
LINK = re.compile(re.escape(PUBLIC_BASE_URL) + r"/webhooks/documents/d/[\w.\-]+")


@pytest.fixture(scope="module", autouse=True)
def outside():
    """Twilio's and Slack's APIs (fakes) and a real mail server, and the settings that
    point the assistant at them, in place before the servers start."""
    with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as twilio, FakeSlackAPI(SLACK_TOKEN) as slack, \
            MailServer() as mail:
        env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "TWILIO_FROM_NUMBER": SMS_NUMBER, "TWILIO_WHATSAPP_FROM": WHATSAPP_SENDER,
               "TWILIO_API_BASE_URL": twilio.base_url, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
               "SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_SIGNING_SECRET": SLACK_SECRET,
               "SLACK_API_BASE_URL": slack.base_url,
               "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail.port),
               "SMTP_FROM": "Northwind AR <ar@northwind.example>",
               "OUTBOX_FIRST_RETRY_SECONDS": "1", "OUTBOX_POLL_SECONDS": "0.5"}
        with mock.patch.dict(os.environ, env):
            yield {"twilio": twilio, "slack": slack, "mail": mail}


@pytest.fixture(scope="module")
def ledger(assistant) -> ARApp:
    return ARApp(assistant)


def local(url: str, settings) -> str:
    """The public address as the servers behind it see it (the proxy's job in production)."""
    return url.replace(PUBLIC_BASE_URL, f"http://127.0.0.1:{settings.rasa_port}")


def fetch(url: str, settings, language: str = "en"):
    request = urllib.request.Request(local(url, settings), headers={"Accept-Language": language})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers, refused.read()


class ProxiedWebVisitor(WebVisitor):
    """A browser on https://ar.example.com: the servers' loopback http stands in for the
    TLS proxy, so the jar is told the Secure session cookie may travel over it."""

    def request(self, path, body=None):
        found = super().request(path, body)
        for cookie in self.jar:
            cookie.secure = False
        return found


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def ledger_invoice(app: ARApp, number: str):
    with app.session() as session:
        invoice = session.scalars(select(Invoice).where(Invoice.invoice_number == number)).one()
        return invoice.amount, open_amount(invoice), invoice.due_date


def phone(settings, outside, number: str) -> Phone:
    texting = Phone(settings, outside["twilio"], number)
    texting.new_messages()
    return texting


def answer(texting: Phone, text: str, expect=lambda m: True) -> list:
    texting.texts(text)
    received: list = []

    def arrived() -> bool:
        received.extend(texting.new_messages())
        return bool(received) and expect(received)

    until(arrived, 60)
    return received


def test_an_sms_request_gets_a_link_that_opens_the_pdf_in_the_customers_locale(
        assistant, ledger, outside):
    lucia = phone(assistant, outside, LUCIA)  # SOYLENT-004, Spanish, EUR
    messages = answer(lucia, "¿me puede reenviar la factura F-2026-551?",
                      lambda ms: LINK.search(" ".join(m.body for m in ms)))
    reply = " ".join(m.body for m in messages)
    assert "F-2026-551" in reply and "should" not in reply and "debería" not in reply
    assert not any(m.media_urls for m in messages)  # MMS is off by default
    status, headers, content = fetch(LINK.search(reply).group(0), assistant)
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'inline; filename="F-2026-551.pdf"'
    total, still_open, due = ledger_invoice(ledger, "F-2026-551")
    text = pdf_text(content)
    assert "Factura F-2026-551" in text
    assert formatting.money(still_open, "EUR", "es") in text  # 4.750,00 €
    assert formatting.day(due, "es") in text
    # A EUR invoice is an e-invoice: valid Factur-X XML whose totals are the ledger's.
    name, xml = get_xml_from_pdf(content, check_xsd=False)
    assert name == "factur-x.xml"
    xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert Decimal(tree.find(".//ram:GrandTotalAmount", NS).text) == total
    assert Decimal(tree.find(".//ram:DuePayableAmount", NS).text) == still_open


def test_another_customers_invoice_gets_nothing(assistant, ledger, outside):
    jane = phone(assistant, outside, JANE)  # ACME-001 asking for Globex's invoice
    reply = " ".join(m.body for m in answer(jane, "send me a copy of invoice 30918"))
    assert "couldn't find invoice 30918" in reply
    assert "/webhooks/documents/" not in reply and "12,400" not in reply
    with ledger.session() as session:
        asked = session.scalars(select(DocumentRequest).join(
            Invoice, Invoice.id == DocumentRequest.invoice_id)
            .where(Invoice.invoice_number == "30918")).all()
    assert asked == []


def test_whatsapp_gets_the_pdf_as_a_document_message(assistant, outside):
    klaus = phone(assistant, outside, "whatsapp:" + KLAUS)  # GLOBEX-002, German
    messages = answer(klaus, "Können Sie mir die Rechnung 30918 noch einmal schicken?",
                      lambda ms: any(m.media_urls for m in ms) and len(ms) >= 2)
    (media,) = [m for m in messages if m.media_urls]
    assert media.from_ == WHATSAPP_SENDER and media.body == "30918.pdf"
    status, headers, content = fetch(media.media_urls[0], assistant)
    assert status == 200 and "Rechnung 30918" in pdf_text(content)
    text = " ".join(m.body for m in messages if not m.media_urls)
    assert "30918" in text and "PDF" in text


def test_slack_gets_the_file_in_the_thread(assistant, ledger, outside):
    slack = outside["slack"]
    shared = SlackChannel(ledger, slack, "C0INITECHDOCS")
    question = shared.event("U03INITECH", "can you send me a copy of invoice 7731?")
    assert shared.deliver(question, secret=SLACK_SECRET) == 200
    reply = shared.answer_to(question)
    assert until(lambda: slack.uploads("C0INITECHDOCS"), 60)
    (upload,) = slack.uploads("C0INITECHDOCS")
    assert upload.thread_ts == question["event"]["ts"] and upload.filename == "7731.pdf"
    assert "Invoice 7731" in pdf_text(upload.content)
    assert "7731" in reply and "PDF" in reply


def test_a_statement_asked_by_web_chat_to_be_emailed_arrives_attached(assistant, outside):
    mail = outside["mail"]
    before = len(mail.to("jane.doe@acme.example"))
    web = ProxiedWebVisitor(assistant)
    assert "confirm who you are" in web.says("what do we owe?")
    web.says("ACME-001")
    assert "$16,225.50" in web.says("INV-2026-0101")
    reply = web.says("please email me our statement of account")
    assert "emailed" in reply and "j•••@acme.example" in reply
    assert mail.wait_for(lambda: len(mail.to("jane.doe@acme.example")) > before, 10)
    message = mail.to("jane.doe@acme.example")[-1]
    assert message["Subject"] == "Statement of account ACME-001 from Northwind Supply"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "statement-ACME-001.pdf"
    text = pdf_text(attachment.get_content())
    assert "Statement of account" in text and "INV-2026-0231" in text
    assert "delivered to j•••@acme.example" in web.says("did you send it?")


def test_with_the_mail_server_down_the_email_is_delayed_not_lost(assistant, ledger, outside):
    mail = outside["mail"]
    before = len(mail.to("jane.doe@acme.example"))
    mail.stop()
    try:
        web = ProxiedWebVisitor(assistant)
        # Asked before verifying: the request (by email) is carried out once verified.
        assert "confirm who you are" in web.says("can you email invoice INV-2026-0142 to me?")
        web.says("ACME-001")
        reply = web.says("INV-2026-0101")
        assert "didn't accept" in reply and "not been sent yet" in reply
        assert "Not yet" in web.says("did you send it?")
        time.sleep(2)  # a retry or two fail while it is down
    finally:
        mail.start()
    assert mail.wait_for(lambda: len(mail.to("jane.doe@acme.example")) > before, 60)
    (attachment,) = list(mail.to("jane.doe@acme.example")[-1].iter_attachments())
    assert attachment.get_filename() == "INV-2026-0142.pdf"
    def last_email():
        with ledger.session() as session:
            return session.scalars(select(OutboundMessage).where(
                OutboundMessage.channel == "email").order_by(OutboundMessage.id.desc())).first()

    # Marked sent once the mail server took it (a moment after it arrives there).
    assert until(lambda: last_email().status == "sent", 10)
    assert last_email().attempts >= 2
    assert "delivered to j•••@acme.example" in web.says("did you send it?")


def test_an_expired_or_altered_link_is_refused_with_a_page_in_the_customers_language(
        assistant, ledger, outside):
    klaus = phone(assistant, outside, KLAUS)  # German, by SMS
    reply = " ".join(m.body for m in answer(
        klaus, "Bitte schicken Sie mir die Rechnung 30977",
        lambda ms: LINK.search(" ".join(m.body for m in ms))))
    link = LINK.search(reply).group(0)
    request_id = int(link.rsplit("/", 1)[1].split(".")[0], 36)
    expired = sign(link_secret(assistant), request_id,
                   datetime.now(timezone.utc) - timedelta(minutes=1)).url(PUBLIC_BASE_URL)
    status, headers, page = fetch(expired, assistant, language="en")
    assert status == 410 and headers["Content-Type"].startswith("text/html")
    assert "Dieser Dokumentlink ist abgelaufen" in page.decode()  # the request's language
    assert b"%PDF" not in page
    altered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    status, _, page = fetch(altered, assistant, language="fr-FR,fr;q=0.9")
    assert status == 404 and "Ce lien vers le document" in page.decode()
    assert "redemandez" in page.decode() and b"%PDF" not in page
    status, _, page = fetch(PUBLIC_BASE_URL + "/webhooks/documents/d/1.zzzz.guessed",
                            assistant, language="de")
    assert status == 404 and b"%PDF" not in page
