"""The email a document travels in: plain text and HTML in the customer's language, the
PDF attached. Composed here; sent by integrations/smtp_mailer.py."""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import make_msgid

from bot.documents.files import DocumentFile
from bot.documents.labels import label
from bot.settings import Settings


def compose(settings: Settings, to: str, language: str, kind: str, key: str,
            document: DocumentFile) -> EmailMessage:
    company = settings.company_name
    if kind == "invoice_copy":
        subject = label("mail_subject_invoice", language, number=key, company=company)
        what = f"{label('invoice', language)} {key}"
    else:
        subject = label("mail_subject_statement", language, account=key, company=company)
        what = f"{label('statement', language)} {key}"
    body = label("mail_body", language, document=what, company=company)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.documents.smtp_from
    message["To"] = to
    if settings.documents.smtp_reply_to:
        message["Reply-To"] = settings.documents.smtp_reply_to
    message["Message-ID"] = make_msgid(domain=settings.documents.smtp_from.rpartition("@")[2]
                                       .strip("> ") or None)
    message["Content-Language"] = language
    message.set_content(body)
    paragraphs = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
                         for p in body.split("\n\n"))
    message.add_alternative(f'<!doctype html><html lang="{language}"><body>{paragraphs}'
                            "</body></html>", subtype="html")
    maintype, _, subtype = document.content_type.partition("/")
    message.add_attachment(document.content, maintype=maintype, subtype=subtype,
                           filename=document.filename)
    return message
