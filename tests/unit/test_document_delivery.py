"""Documents delivered to the person asking: a link in the conversation, a file in a Slack
thread or on WhatsApp, an email to an address on file through a real SMTP server (and
kept in the outbox while it is down), never to an address typed in chat; and the log."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot.conversation.identity import identify
from bot.documents.access import open_link
from bot.documents.delivery import DocumentDesk, Route
from bot.documents.log import last_delivery
from bot.documents.links import link_secret, verify
from bot.ledger.models import DocumentRequest, Invoice, OutboundMessage
from integrations.smtp_mailer import SmtpMailer
from tests.conftest import BUSINESS_DATE, demo_settings
from tests.fakes.smtp_server import MailServer

JANE = "+14155550101"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def mail_server():
    with MailServer() as server:
        yield server


def settings_for(tmp_path, mail_server=None, **extra):
    env = {"PUBLIC_BASE_URL": "https://ar.example.com", **extra}
    if mail_server is not None:
        env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(mail_server.port),
                   SMTP_FROM="AR <ar@northwind.example>")
    return demo_settings(tmp_path, **env)


def jane(session):
    return identify(session, JANE, "twilio", NOW)


def invoice(session, number):
    return session.scalars(select(Invoice).where(Invoice.invoice_number == number)).one()


def desk(settings, mailer=True):
    sender = SmtpMailer(settings.documents).send if mailer else None
    return DocumentDesk(settings, NOW, BUSINESS_DATE, sender)


def test_an_sms_request_gets_a_signed_link_to_that_invoice(demo_app, tmp_path):
    settings = settings_for(tmp_path)
    with demo_app.session() as session:
        outcome = desk(settings).deliver(session, jane(session), "invoice_copy",
                                         Route("twilio", JANE), "en",
                                         invoice=invoice(session, "INV-2026-0142"))
    assert outcome.kind == "link"
    assert outcome.link.startswith("https://ar.example.com/webhooks/documents/d/")
    request_id = verify(link_secret(settings), outcome.link.rsplit("/", 1)[1], NOW)
    with demo_app.session() as session:
        document, language = open_link(session, settings, request_id, NOW, BUSINESS_DATE)
        assert session.get(DocumentRequest, request_id).opened_at == NOW
        entry = last_delivery(session, jane(session))
    assert document.filename == "INV-2026-0142.pdf" and language == "en"
    assert "INV-2026-0142" in PdfReader(__import__("io").BytesIO(document.content)).pages[0]\
        .extract_text()
    assert entry.status == "opened" and entry.invoice_number == "INV-2026-0142"


def test_whatsapp_and_slack_get_the_file_itself_through_the_outbox(demo_app, tmp_path):
    settings = settings_for(tmp_path)
    with demo_app.session() as session:
        caller = jane(session)
        whatsapp = desk(settings).deliver(session, caller, "statement",
                                          Route("twilio", "whatsapp:" + JANE), "en")
        slack = desk(settings).deliver(session, caller, "statement",
                                       Route("slack", "U01ACMEJANE", "C0SHARED", "171.5"), "en")
        rows = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
    assert whatsapp.kind == slack.kind == "attached"
    assert [(r.channel, r.recipient, r.thread) for r in rows] == [
        ("whatsapp", "whatsapp:" + JANE, None), ("slack", "C0SHARED/171.5", "171.5")]
    assert rows[0].media_url == whatsapp.link and rows[1].media_url is None
    assert rows[0].body == "statement-ACME-001.pdf"


def test_an_email_on_file_is_sent_at_once_with_the_pdf_attached(demo_app, tmp_path,
                                                                 mail_server):
    settings = settings_for(tmp_path, mail_server)
    with demo_app.session() as session:
        outcome = desk(settings).deliver(session, jane(session), "invoice_copy",
                                         Route("twilio", JANE), "es",
                                         invoice=invoice(session, "INV-2026-0101"), email=True)
        entry = last_delivery(session, jane(session))
    assert outcome.kind == "emailed" and outcome.destination == "j•••@acme.example"
    (message,) = mail_server.to("jane.doe@acme.example")
    assert message["Subject"] == "Factura INV-2026-0101 de Northwind Supply"
    assert "como nos pidió" in message.get_body(("plain",)).get_content()
    assert message.get_body(("html",)) is not None
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "INV-2026-0101.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")
    assert entry.status == "sent" and entry.destination == "j•••@acme.example"


def test_with_the_mail_server_down_the_email_waits_in_the_outbox(demo_app, tmp_path,
                                                                 mail_server):
    settings = settings_for(tmp_path, mail_server)
    mail_server.stop()
    with demo_app.session() as session:
        outcome = desk(settings).deliver(session, jane(session), "statement",
                                         Route("webchat", "web-1"), "en", email=True)
        (row,) = session.scalars(select(OutboundMessage)).all()
        entry = last_delivery(session, jane(session))
    assert outcome.kind == "email_queued"
    assert (row.channel, row.recipient, row.status, row.attempts) == (
        "email", "jane.doe@acme.example", "pending", 1)
    assert "Connection refused" in row.last_error or "Errno" in row.last_error
    assert entry.status == "retrying"


def test_an_address_typed_in_chat_waits_for_ar_approval_and_nothing_is_sent(
        demo_app, tmp_path, mail_server):
    settings = settings_for(tmp_path, mail_server)
    with demo_app.session() as session:
        outcome = desk(settings).deliver(session, jane(session), "statement",
                                         Route("twilio", JANE), "en",
                                         typed_address="someone@elsewhere.example")
        request = session.scalars(select(DocumentRequest)).one()
        assert session.scalars(select(OutboundMessage)).all() == []
    assert outcome.kind == "awaiting_approval" and outcome.destination == "s•••@elsewhere.example"
    assert (request.status, request.destination) == ("awaiting_approval",
                                                     "someone@elsewhere.example")
    assert mail_server.messages == []


def test_a_typed_address_that_is_on_file_is_used(demo_app, tmp_path, mail_server):
    settings = settings_for(tmp_path, mail_server)
    with demo_app.session() as session:
        outcome = desk(settings).deliver(session, jane(session), "statement",
                                         Route("twilio", JANE), "en",
                                         typed_address="BOB.SMITH@acme.example")
    assert outcome.kind == "emailed" and mail_server.to("bob.smith@acme.example")


def test_without_a_mail_server_an_email_request_gets_a_link_instead(demo_app, tmp_path):
    settings = settings_for(tmp_path)
    with demo_app.session() as session:
        outcome = desk(settings, mailer=False).deliver(
            session, jane(session), "statement", Route("webchat", "web-1"), "en", email=True)
        assert session.scalars(select(OutboundMessage)).all() == []
    assert outcome.kind == "link_no_email"


def test_a_revoked_link_opens_nothing(demo_app, tmp_path):
    from bot.documents.access import DocumentGone, revoke

    settings = settings_for(tmp_path)
    with demo_app.session() as session:
        outcome = desk(settings).deliver(session, jane(session), "statement",
                                         Route("webchat", "web-1"), "en")
        assert revoke(session, outcome.reference, NOW, "ar:test")
    request_id = verify(link_secret(settings), outcome.link.rsplit("/", 1)[1], NOW)
    with demo_app.session() as session, pytest.raises(DocumentGone):
        open_link(session, settings, request_id, NOW, BUSINESS_DATE)


def test_ar_approving_a_typed_address_sends_the_document_there(demo_app, tmp_path,
                                                               mail_server):
    import asyncio

    from bot.documents.commands import documents_command
    from bot.runtime.app import ARApp
    from bot.runtime.cli import build_parser
    from integrations.document_senders import email_sender
    from integrations.outbox import Courier

    settings = settings_for(tmp_path, mail_server)
    with demo_app.session() as session:
        outcome = desk(settings).deliver(session, jane(session), "invoice_copy",
                                         Route("twilio", JANE), "en",
                                         invoice=invoice(session, "INV-2026-0101"),
                                         typed_address="new.ap@acme.example")
    app = ARApp(settings)
    args = build_parser().parse_args(["documents", "approve", outcome.reference])
    assert documents_command(app, args) == 0
    assert documents_command(app, args) == 1  # nothing waits any more
    courier = Courier(app, {}, 1, documents={"email": email_sender(app, SmtpMailer(
        settings.documents))}, in_order=False)
    assert asyncio.run(courier.deliver("email", "new.ap@acme.example")) == 1
    (message,) = mail_server.to("new.ap@acme.example")
    assert [a.get_filename() for a in message.iter_attachments()] == ["INV-2026-0101.pdf"]
    with demo_app.session() as session:
        assert last_delivery(session, jane(session)).status == "sent"


def test_a_held_or_failing_email_does_not_hold_back_the_next(demo_app, tmp_path, mail_server):
    import asyncio

    from bot.messaging import channel_store
    from bot.runtime.app import ARApp
    from integrations.document_senders import email_sender
    from integrations.outbox import Courier

    settings = settings_for(tmp_path, mail_server)
    app = ARApp(settings)
    later = datetime(2100, 1, 1, tzinfo=timezone.utc)
    with demo_app.session() as session:
        held = desk(settings).deliver(session, jane(session), "statement",
                                      Route("webchat", "w"), "en", email=True)
        request = session.scalars(select(DocumentRequest)).one()
        row = session.scalars(select(OutboundMessage)).one()
        row.status, row.next_attempt_at = "pending", later  # as if its first try were running
        channel_store.queue_document(session, "email", "jane.doe@acme.example", "x.pdf",
                                     app.now(), request.id)
    assert held.kind == "emailed"
    before = len(mail_server.to("jane.doe@acme.example"))
    courier = Courier(app, {}, 1, documents={"email": email_sender(app, SmtpMailer(
        settings.documents))}, in_order=False)
    assert asyncio.run(courier.deliver("email", "jane.doe@acme.example")) == 1
    assert len(mail_server.to("jane.doe@acme.example")) == before + 1


def test_mms_when_enabled_sends_the_pdf_as_media_with_the_link_in_the_reply(demo_app, tmp_path):
    settings = settings_for(tmp_path, TWILIO_MMS_DOCUMENTS="true")
    with demo_app.session() as session:
        outcome = desk(settings).deliver(session, jane(session), "statement",
                                         Route("twilio", JANE), "en")
        (row,) = session.scalars(select(OutboundMessage)).all()
    assert outcome.kind == "attached" and (row.channel, row.media_url) == ("sms", outcome.link)


def test_a_contact_who_prefers_email_gets_it_by_email(demo_app, tmp_path, mail_server):
    settings = settings_for(tmp_path, mail_server)
    with demo_app.session() as session:
        bob = identify(session, "+14155550102", "twilio", NOW)  # prefers email
        outcome = desk(settings).deliver(session, bob, "statement",
                                         Route("twilio", "+14155550102"), "en")
    assert outcome.kind == "emailed" and mail_server.to("bob.smith@acme.example")


def test_a_document_that_cannot_be_made_is_not_promised(demo_app, tmp_path, monkeypatch):
    from bot.documents import einvoice

    def schema_refuses(*_args, **_kwargs):
        raise einvoice.EInvoiceError("Element 'ram:DuePayableAmount': not a valid value")

    monkeypatch.setattr("bot.documents.files.invoice_xml", schema_refuses)
    settings = settings_for(tmp_path)
    with demo_app.session() as session:
        lucia = identify(session, "+34612345678", "twilio", NOW)
        outcome = desk(settings).deliver(session, lucia, "invoice_copy",
                                         Route("twilio", "+34612345678"), "es",
                                         invoice=invoice(session, "F-2026-551"))
        assert session.scalars(select(DocumentRequest)).all() == []
    assert outcome.kind == "unavailable"
