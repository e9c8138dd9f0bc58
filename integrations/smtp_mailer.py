"""Sending one composed email over SMTP (none, STARTTLS or implicit TLS), with the
settings' account; the server's answer is the provider id the outbox logs."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from typing import Optional

from bot.settings import DocumentSettings


class SmtpMailer:
    def __init__(self, settings: DocumentSettings):
        self._settings = settings

    @property
    def configured(self) -> bool:
        return bool(self._settings.smtp_host)

    def send(self, message: EmailMessage) -> Optional[str]:
        """Hand one message to the mail server; its Message-ID. Raises (OSError,
        smtplib.SMTPException) when the server is down or refuses it."""
        s = self._settings
        context = ssl.create_default_context()
        if s.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds,
                                      context=context)
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        with client:
            if s.smtp_security == "starttls":
                client.starttls(context=context)
            if s.smtp_username:
                client.login(s.smtp_username, s.smtp_password)
            refused = client.send_message(message)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
        return message["Message-ID"]

    async def send_async(self, message: EmailMessage) -> Optional[str]:
        return await asyncio.to_thread(self.send, message)
