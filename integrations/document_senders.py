"""Outbox senders for messages that carry a document: the file is rendered from the
ledger when it is sent (each retry too), then uploaded to Slack or emailed."""

from __future__ import annotations

import asyncio

from bot.documents.delivery import email_for
from bot.documents.files import DocumentFile, request_file
from bot.messaging.channel_store import Outgoing
from bot.runtime.app import ARApp
from integrations.outbox import SendDocument
from integrations.slack_api import SlackWebApi
from integrations.smtp_mailer import SmtpMailer


def _file(app: ARApp, request_id: int) -> DocumentFile:
    with app.session() as session:
        return request_file(session, request_id, app.settings, app.today())


def slack_file_sender(app: ARApp, api: SlackWebApi) -> SendDocument:
    async def send(message: Outgoing):
        document = await asyncio.to_thread(_file, app, message.document_request_id)
        return await api.upload(message.recipient, document.filename, document.content,
                                document.filename)

    return send


def email_sender(app: ARApp, mailer: SmtpMailer) -> SendDocument:
    def compose(message: Outgoing):
        with app.session() as session:
            return email_for(session, app.settings, message, app.today())

    async def send(message: Outgoing):
        return await mailer.send_async(await asyncio.to_thread(compose, message))

    return send
