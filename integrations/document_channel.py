"""Documents on the Rasa server: GET /webhooks/documents/d/<token> serves the PDF a signed
link names (Content-Type and a short filename, so phones open it), or a clear page in the
customer's language when the link is expired, revoked, altered or guessed; and the
outbox's email deliveries are retried from here while the server runs.

Registered in credentials.yml as `integrations.document_channel.DocumentInput:`; settings
come from bot.settings (DOCUMENT_LINK_*, SMTP_*, PUBLIC_BASE_URL).
"""

from __future__ import annotations

import asyncio
import html
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.documents.access import DocumentGone, open_link, request_language
from bot.documents.labels import label
from bot.documents.links import LinkRefused, link_secret, verify
from bot.languages import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from bot.runtime.app import ARApp
from bot.settings import Settings, get_settings
from integrations.document_senders import email_sender
from integrations.outbox import Courier
from integrations.smtp_mailer import SmtpMailer

logger = logging.getLogger(__name__)

CHANNEL = "documents"
HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def browser_language(request: Request) -> str:
    """The first of our languages the browser asks for (Accept-Language), else English."""
    for part in (request.headers.get("Accept-Language") or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in SUPPORTED_LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


STATUS = {"expired": 410, "invalid": 404, "unavailable": 503}


def refusal_page(reason: str, language: str) -> HTTPResponse:
    """410 for an expired or withdrawn link, 404 for one that was never ours, 503 when the
    document cannot be made just now; never a document."""
    text = label(f"link_{reason}", language)
    title = label("link_refused_title", language)
    again = label("link_ask_again", language)
    page = (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;"
            "max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
            f"<p>{html.escape(again)}</p></body></html>")
    return response.html(page, status=STATUS[reason],
                         headers={**HEADERS, "Content-Security-Policy": "default-src 'none'; "
                                  "style-src 'unsafe-inline'"})


class DocumentInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "DocumentInput":
        return cls()

    def __init__(self, settings: Optional[Settings] = None):
        self.settings = settings or get_settings()
        self.app = ARApp(self.settings)
        self.mailer = SmtpMailer(self.settings.documents)
        self.courier = Courier(self.app, {}, self.settings.outbox_first_retry_seconds,
                               documents={"email": email_sender(self.app, self.mailer)},
                               in_order=False)
        self._retrying: Optional[asyncio.Task] = None

    def _open(self, token: str, request: Request):
        """(file, None) or (None, refusal page)."""
        now = self.app.now()
        try:
            request_id = verify(link_secret(self.settings), token, now)
            with self.app.session() as session:
                document, _language = open_link(session, self.settings, request_id, now,
                                                self.app.today())
            return document, None
        except LinkRefused as refused:
            with self.app.session() as session:
                language = request_language(session, refused.request_id)
            return None, ("expired" if refused.reason == "expired" else "invalid",
                          language or browser_language(request))
        except DocumentGone as gone:
            with self.app.session() as session:
                language = request_language(session, gone.args[0])
            return None, ("expired", language or browser_language(request))
        except Exception:  # the ERP or the renderer failed: say so, keep the reason in the log
            logger.exception("document link: the document could not be made")
            return None, ("unavailable", browser_language(request))

    def answer(self, token: str, request: Request) -> HTTPResponse:
        """The PDF a link names, or the page saying why not (blocking: call in a thread)."""
        found, refused = self._open(token, request)
        if refused:
            logger.info("document link refused (%s)", refused[0])
            return refusal_page(*refused)
        return response.raw(found.content, content_type=found.content_type, headers={
            **HEADERS, "Content-Disposition": f'inline; filename="{found.filename}"'})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        documents = Blueprint("documents", __name__)

        @documents.listener("after_server_start")
        async def start_retrying(_app, _loop) -> None:
            if self.mailer.configured:
                self._retrying = asyncio.get_running_loop().create_task(
                    self.courier.run(self.settings.outbox_poll_seconds))
            else:
                logger.info("SMTP is not configured (SMTP_HOST): documents are sent as "
                            "links in the conversation, never by email")

        @documents.listener("before_server_stop")
        async def stop_retrying(_app, _loop) -> None:
            if self._retrying is not None:
                self._retrying.cancel()

        @documents.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "email": self.mailer.configured})

        @documents.route("/d/<token>", methods=["GET", "HEAD"])
        async def document(request: Request, token: str) -> HTTPResponse:
            return await asyncio.to_thread(self.answer, token, request)

        return documents
