"""The web chat: a Rasa input channel named "webchat" that serves a chat page and talks
to it over JSON, under /webhooks/webchat/.

    GET  /webhooks/webchat/          the page (with webchat.js and webchat.css beside it)
    POST /webhooks/webchat/message   {"text": ...} -> {"messages": [...]}
    GET  /webhooks/webchat/history   {"messages": [...]}: the conversation so far

The conversation id comes only from the signed session cookie (integrations/
webchat_session.py); anything the body says about the sender is ignored. The channel
proves nothing about the visitor, so the assistant verifies them (account number and an
invoice number) before any figure, and that verification is kept server-side by
conversation id: a reload continues the verified conversation.

Registered in credentials.yml as `integrations.webchat_channel.WebchatInput:`; settings
come from bot.settings (WEBCHAT_SECRET, WEBCHAT_SESSION_HOURS).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.messaging import holding_texts
from bot.messaging.held_messages import Held
from bot.runtime.app import ARApp
from bot.settings import Settings, get_settings
from integrations import handoff_hook
from integrations.held_turns import SenderGate
from integrations.rasa_tracker import conversation_language
from integrations.webchat_messages import (Incoming, Refused, bot_message, parse_message,
                                           transcript)
from integrations.webchat_session import (COOKIE_NAME, COOKIE_PATH, Session, Sessions,
                                          session_secret)

logger = logging.getLogger(__name__)

CHANNEL = "webchat"
STATIC_DIR = Path(__file__).resolve().parent / "webchat"
STATIC_FILES = {"webchat.js": "text/javascript; charset=utf-8",
                "webchat.css": "text/css; charset=utf-8"}
# The page loads nothing from elsewhere; images the assistant sends may be anywhere.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' https: data:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NOT_ANSWERED = "The assistant could not answer just now. Please try again."

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class WebchatOutput(CollectingOutputChannel):
    """Collects a turn's replies; named webchat so channel-specific responses apply."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL


class WebchatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "WebchatInput":
        return cls()  # configured from bot.settings, not credentials.yml

    def __init__(self, settings: Optional[Settings] = None):
        self.settings = settings or get_settings()
        self.sessions = Sessions(session_secret(self.settings),
                                 self.settings.webchat_session_hours)
        self.app = ARApp(self.settings)
        self.gate = SenderGate(self.app, (CHANNEL,), self._answer_kept)
        self._on_new_message: Optional[OnNewMessage] = None
        self._draining: Optional[asyncio.Task] = None

    # --- sessions and responses --------------------------------------------------------

    def session(self, request: Request) -> Session:
        return self.sessions.resume_or_start(request.cookies.get(COOKIE_NAME), time.time())

    def _secure_cookie(self, request: Request) -> bool:
        return request.scheme == "https" or self.settings.public_base_url.startswith("https:")

    def _finish(self, reply: HTTPResponse, session: Session, request: Request) -> HTTPResponse:
        """Set the session cookie when the conversation is new; no caching of answers."""
        if session.new_cookie:
            reply.cookies[COOKIE_NAME] = session.new_cookie
            cookie = reply.cookies[COOKIE_NAME]
            cookie["path"] = COOKIE_PATH
            cookie["max-age"] = self.sessions.max_age_seconds
            cookie["httponly"] = True
            cookie["samesite"] = "Strict"
            cookie["secure"] = self._secure_cookie(request)
        reply.headers.update(PAGE_HEADERS)
        reply.headers["Cache-Control"] = "no-store"
        return reply

    # --- endpoints -----------------------------------------------------------------------

    async def page(self, request: Request) -> HTTPResponse:
        if not request.path.endswith("/"):  # relative links in the page need the slash
            return response.redirect(request.path + "/")
        html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        return self._finish(response.html(html), self.session(request), request)

    async def message(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        session = self.session(request)
        try:
            incoming = parse_message(request.body)
        except Refused as refused:
            return self._finish(response.json({"error": refused.message},
                                              status=refused.status), session, request)
        admission = await self.gate.admit(request, CHANNEL, session.conversation_id,
                                          incoming._asdict())
        if not admission.to_assistant:  # kept: answered later, shown by the history poll
            language = await conversation_language(request, session.conversation_id)
            notice = ([{"text": holding_texts.text(admission.notice, language)}]
                      if admission.notice else [])
            return self._finish(response.json({"messages": notice, "kept": True},
                                              status=202), session, request)
        try:
            messages = await self._converse(incoming, session.conversation_id,
                                            on_new_message)
        except Exception:  # the page says so; the log has what went wrong (no ids)
            logger.exception("Web chat: the assistant failed to answer a message")
            return self._finish(response.json({"error": NOT_ANSWERED}, status=503),
                                session, request)
        return self._finish(response.json({"messages": messages}), session, request)

    async def _converse(self, incoming: Incoming, conversation_id: str,
                        on_new_message: OnNewMessage) -> list[dict[str, Any]]:
        collector = WebchatOutput()
        await on_new_message(UserMessage(
            incoming.text, collector, conversation_id, input_channel=CHANNEL,
            metadata=incoming.metadata))
        await handoff_hook.customer_turn(conversation_id, CHANNEL, conversation_id,
                                         incoming.text)
        return [m for m in map(bot_message, collector.messages) if m]

    async def _answer_kept(self, request: Any, held: Held) -> None:
        """Answered; the page's history poll shows the replies (the gate finishes it)."""
        await self._converse(Incoming(**held.payload), held.sender, self._on_new_message)

    async def history(self, request: Request) -> HTTPResponse:
        session = self.session(request)
        events: list[dict[str, Any]] = []
        agent = getattr(request.app.ctx, "agent", None)
        if session.new_cookie is None and agent is not None:
            tracker = await agent.tracker_store.retrieve(session.conversation_id)
            events = [event.as_dict() for event in tracker.events] if tracker else []
        return self._finish(response.json({"messages": transcript(events)}), session,
                            request)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        chat = Blueprint("webchat", __name__)
        self._on_new_message = on_new_message

        @chat.listener("after_server_start")
        async def start_answering_kept(app, _loop) -> None:
            self._draining = asyncio.get_running_loop().create_task(
                self.gate.run(app, self.settings.outbox_poll_seconds))

        @chat.listener("before_server_stop")
        async def stop_answering_kept(_app, _loop) -> None:
            if self._draining is not None:
                self._draining.cancel()
            await self.gate.close()

        @chat.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            return await self.page(request)

        @chat.route("/message", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            return await self.message(request, on_new_message)

        @chat.route("/history", methods=["GET"])
        async def history(request: Request) -> HTTPResponse:
            return await self.history(request)

        for name in STATIC_FILES:
            chat.add_route(self._asset(name), f"/{name}", methods=["GET"],
                           name=name.replace(".", "_"))
        return chat

    @staticmethod
    def _asset(name: str) -> Callable[[Request], Awaitable[HTTPResponse]]:
        async def asset(_request: Request) -> HTTPResponse:
            return response.raw((STATIC_DIR / name).read_bytes(),
                                content_type=STATIC_FILES[name],
                                headers={"Cache-Control": "no-cache", **PAGE_HEADERS})

        return asset
