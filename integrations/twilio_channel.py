"""Rasa input channel for Twilio messaging: SMS and WhatsApp (`whatsapp:+...` senders) on
one webhook, POST /webhooks/twilio/webhook.

Every request must carry a valid X-Twilio-Signature for PUBLIC_BASE_URL + its path,
computed over the form exactly as posted (blank values and repeated names included). Then,
in one transaction, the MessageSid is recorded and the message kept (bot.messaging
.held_messages) or, for a carrier keyword (STOP, START, HELP and their es/fr/de/pt
equivalents, handled here, never by the bot), its answer queued; Twilio gets its empty
TwiML at once, and the turn runs after (integrations/held_turns.py), one message of a
sender at a time, in order, on whichever server claims it. A MessageSid already seen is
acknowledged and not answered again, but a message of it still waiting (its server died
mid-turn) is answered by this server once its claim lapses. Replies are segmented for the
channel, buttons become numbered choices, and everything sent goes through the outbox, so
a failed send is retried rather than lost. Settings come from bot.settings;
credentials.yml only registers the class.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable, Iterable, Iterator, NamedTuple, Optional
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape as xml_escape

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from sqlalchemy.orm import Session

from bot.conversation.identity import identify
from bot.conversation.language_detection import langdetect_language
from bot.messaging import channel_store, held_messages, holding_texts, sms
from bot.messaging.channel_store import Outgoing
from bot.messaging.held_messages import Held
from bot.runtime.app import ARApp
from bot.settings import Settings, get_settings
from integrations import handoff_hook
from integrations.held_turns import SenderGate
from integrations.outbox import Courier, masked
from integrations.rasa_operations import keep_failed_turns
from integrations.rasa_tracker import conversation_language
from integrations.receipt_threads import on_receipt_thread
from integrations.resumed_turns import answer_once
from integrations.rest_channel import DELIVERY_KEY
from integrations.spooled_receipts import DATABASE_DOWN, SpooledReceipts
from integrations.twilio_sender import TwilioSender, outbox_channel

logger = logging.getLogger(__name__)

CHANNEL = "twilio"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def twiml(status: int = 200, message: Optional[str] = None) -> HTTPResponse:
    """Twilio's answer: empty, or one message Twilio sends back as the reply."""
    body = EMPTY_TWIML if message is None else (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
        f"{xml_escape(message)}</Message></Response>")
    return response.text(body, status=status, content_type="text/xml")


class PostedForm:
    """A form as it was posted: every name with all its values in order, blank ones
    kept. sanic's request.form drops blank values, and Twilio's signature covers them
    (`FromCity=`, `Body=` on a picture), so the signature is checked over this."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)

    @classmethod
    def of(cls, request: Request) -> "PostedForm":
        body = (request.body or b"").decode("utf-8", errors="replace")
        return cls(parse_qsl(body, keep_blank_values=True))

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def getall(self, name: str) -> list[str]:
        """Every value posted under name (what RequestValidator signs, as for Flask)."""
        return list(self._values[name])

    def first(self, name: str) -> str:
        values = self._values.get(name)
        return values[0].strip() if values else ""


def signed_by_twilio(request: Request, form: PostedForm, settings: Settings) -> bool:
    """Whether X-Twilio-Signature matches the public URL Twilio called and the form."""
    signature = request.headers.get("X-Twilio-Signature")
    if not signature:
        return False
    url = settings.public_base_url.rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string
    return RequestValidator(settings.twilio_auth_token).validate(url, form, signature)


@dataclass(frozen=True)
class Inbound:
    """One message Twilio delivered. Media, a WhatsApp location or contact card come
    with an empty Body: only the text is read."""

    message_sid: str
    sender: str
    body: str
    media_count: int
    message_type: str = ""

    @classmethod
    def from_form(cls, form: PostedForm) -> "Inbound":
        count = form.first("NumMedia")
        return cls(form.first("MessageSid") or form.first("SmsMessageSid"),
                   form.first("From"), form.first("Body"),
                   int(count) if count.isdigit() else 0, form.first("MessageType"))

    @property
    def channel(self) -> str:
        return outbox_channel(self.sender)


class Triage(NamedTuple):
    """What becomes of an inbound message before the bot: passed on, answered here
    (an answer to an opt-out goes out despite it), or neither (silence)."""

    to_bot: bool = False
    answer: Optional[str] = None
    despite_opt_out: bool = False


class Received(NamedTuple):
    """What the webhook's transaction did with a delivery, for what follows the answer to
    Twilio: replies to send, the sender's kept messages to answer, a notice to give."""

    queued: Optional[list[Outgoing]] = None  # replies to send (Courier.queue), if any
    answer_kept: bool = False
    notice: Optional[str] = None
    claimed: Optional[Held] = None  # the message, claimed for this server to answer


def reply_text(messages: Iterable[dict], language: Optional[str]) -> tuple[str, list[dict]]:
    """What Rasa said, as one text for a phone, and the buttons it offered (the last
    message's with any). Images and attachments become links."""
    parts: list[str] = []
    buttons: list[dict] = []
    for message in messages:
        text = message.get("text") or (message.get("custom") or {}).get("text") or ""
        if message.get("buttons"):
            buttons = [{"title": b.get("title"), "payload": b.get("payload")}
                       for b in message["buttons"]]
            text = sms.numbered_choices(text, buttons, language)
        links = [str(message[k]) for k in ("image", "attachment") if message.get(k)]
        parts.append("\n".join(p for p in [text, *links] if p))
    return "\n\n".join(p for p in parts if p), buttons


class TwilioCollector(CollectingOutputChannel):
    """Collects a turn's replies; named twilio so channel-specific responses apply."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL


class TwilioOutput(TwilioCollector):
    """Sends as it is told (e.g. Rasa's API relaying a person's message to the latest
    channel), through the outbox like every reply."""

    def __init__(self, channel: "TwilioMessagingInput"):
        super().__init__()
        self._channel = channel

    async def _persist_message(self, message: dict) -> None:
        await super()._persist_message(message)
        await self._channel.reply(message["recipient_id"], [message])


class TwilioMessagingInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> InputChannel:
        return cls()  # configured from bot.settings, not credentials.yml

    def __init__(self, settings: Optional[Settings] = None):
        self._settings = settings
        self._app: Optional[ARApp] = None
        self._courier: Optional[Courier] = None
        self._sender: Optional[TwilioSender] = None
        self._background: set[asyncio.Task] = set()
        self._on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]] = None
        self._gate: Optional[SenderGate] = None
        self._spooled: Optional[SpooledReceipts] = None

    @property
    def gate(self) -> SenderGate:
        """Rate limits and the action server's health, before the assistant."""
        if self._gate is None:
            self._gate = SenderGate(self.app, ("sms", "whatsapp"), self._answer_kept,
                                    self._notify, failed_turns_kept=True)
        return self._gate

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = get_settings()
        return self._settings

    @property
    def app(self) -> ARApp:
        if self._app is None:
            self._app = ARApp(self.settings)
        return self._app

    @property
    def configured(self) -> bool:
        return bool(self.settings.twilio_account_sid and self.settings.twilio_auth_token)

    @property
    def courier(self) -> Courier:
        if self._courier is None:
            sender = self._sender = TwilioSender(self.settings)
            send, media = sender.send, sender.send_document
            self._courier = Courier(self.app, {"sms": send, "whatsapp": send},
                                    self.settings.outbox_first_retry_seconds,
                                    documents={"sms": media, "whatsapp": media})
        return self._courier

    def get_output_channel(self) -> Optional[TwilioOutput]:
        return TwilioOutput(self) if self.configured else None

    def _in_background(self, work: Awaitable) -> asyncio.Task:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # --- sending ---------------------------------------------------------------------

    def _deliver_in_background(self, recipient: str,
                               queued: Iterable[Outgoing] = ()) -> None:
        self._in_background(self.courier.deliver(outbox_channel(recipient), recipient,
                                                 queued))

    def _queue_text(self, session: Session, recipient: str, text: str,
                    despite_opt_out: bool = False, opted_out: Optional[bool] = None
                    ) -> Optional[list[Outgoing]]:
        """Queue text, segmented for the channel; nothing for an opted-out number unless
        despite_opt_out (the opt-out confirmation). opted_out: the number's state if the
        caller read it already. What was queued, None for nothing."""
        channel = outbox_channel(recipient)
        if despite_opt_out:
            opted_out = False
        elif opted_out is None:
            opted_out = channel_store.is_opted_out(session, channel, recipient)
        if opted_out:
            logger.info("%s reply to %s suppressed: opted out", channel, masked(recipient))
            return None
        return self.courier.queue(session, channel, recipient,
                                  sms.segment(text, sms.segment_chars(channel)),
                                  self.app.now())

    async def _send(self, recipient: str, text: str, despite_opt_out: bool = False,
                    answered: Optional[int] = None) -> None:
        """Queue text and send it; answered: the kept message this answers, marked so in
        the same transaction (so that a server dying after it cannot answer it twice)."""
        def queue() -> Optional[list[Outgoing]]:
            with self.app.session() as session:
                queued = self._queue_text(session, recipient, text, despite_opt_out)
                if answered is not None:
                    held_messages.answer_queued(session, answered)
                return queued

        queued = await asyncio.to_thread(queue)
        if queued is not None:
            self._deliver_in_background(recipient, queued)

    async def reply(self, recipient: str, messages: list[dict],
                    language: Optional[str] = None, answered: Optional[int] = None) -> None:
        """Send what the bot said, and remember its buttons as the numbered choices;
        answered: the kept message this answers, marked so in the same transaction (the
        gate finishes it once its turn is done)."""
        text, buttons = reply_text(messages, language)

        def queue() -> Optional[list[Outgoing]]:
            channel = outbox_channel(recipient)
            with self.app.session() as session:
                # Read before the first write (the choices'): on SQLite the write lock is
                # held from there to the commit.
                opted_out = channel_store.is_opted_out(session, channel, recipient)
                channel_store.offer_choices(session, channel, recipient, buttons,
                                            self.app.now())
                queued = (self._queue_text(session, recipient, text, opted_out=opted_out)
                          if text else None)
                if answered is not None:
                    held_messages.answer_queued(session, answered)
                return queued

        queued = await asyncio.to_thread(queue)
        if queued is not None:
            self._deliver_in_background(recipient, queued)

    # --- receiving -------------------------------------------------------------------

    def _triage(self, session: Session, inbound: Inbound, language: Optional[str],
                opted_out: bool) -> Triage:
        """Apply a carrier keyword and the opt-out state (opted_out, read by the caller)
        before the bot sees anything."""
        found = sms.keyword(inbound.body, language)
        kind = found.kind if found else None
        answer = (sms.keyword_reply(found, self.settings.company_name,
                                    self.settings.support_contact) if found else None)
        channel, now = inbound.channel, self.app.now()
        if kind == sms.OPT_OUT and not opted_out:
            channel_store.suppress_pending(session, channel, inbound.sender)
            channel_store.set_opt_out(session, channel, inbound.sender, True,
                                      found.word, now)
            return Triage(answer=answer, despite_opt_out=True)
        if kind == sms.OPT_IN and opted_out:
            channel_store.set_opt_out(session, channel, inbound.sender, False,
                                      found.word, now)
            return Triage(answer=answer)
        if opted_out or kind == sms.OPT_OUT:
            return Triage()  # silence: nothing but an opt-in is answered
        if kind == sms.HELP:
            return Triage(answer=answer)
        return Triage(to_bot=True)

    def _contact_language(self, sender: str, session: Optional[Session] = None
                          ) -> Optional[str]:
        if session is None:
            with self.app.session() as own:
                return self._contact_language(sender, own)
        caller = identify(session, sender, CHANNEL, self.app.now())
        return caller.language if caller else None

    def _on_file(self, inbound: Inbound) -> tuple[Optional[str], str]:
        """In one transaction: the contact's language, and the message for Rasa (a
        numbered choice's payload, else what was written)."""
        with self.app.session() as session:
            language = self._contact_language(inbound.sender, session)
            choice = (channel_store.chosen(session, inbound.channel, inbound.sender,
                                           inbound.body) if inbound.body else None)
        text = choice["payload"] if choice and choice.get("payload") else inbound.body
        return language, text

    async def _turn(self, inbound: Inbound, text: str, request: Any, held: Held,
                    language: Optional[str]) -> None:
        collector = TwilioCollector()
        metadata = {"message_sid": inbound.message_sid, "channel": inbound.channel,
                    "num_media": inbound.media_count, "message_type": inbound.message_type,
                    DELIVERY_KEY: inbound.message_sid or None}
        keep_failed_turns()  # the action server unreachable: kept and answered again
        message = UserMessage(text, collector, inbound.sender, input_channel=CHANNEL,
                              metadata=metadata)
        await answer_once(request, message, self._on_new_message, held.resumed)
        if any(m.get("buttons") for m in collector.messages):
            language = await conversation_language(request, inbound.sender) or language
        await self.reply(inbound.sender, collector.messages, language, answered=held.id)
        await handoff_hook.customer_turn(inbound.sender, inbound.channel, inbound.sender,
                                         inbound.body)

    def _receive(self, inbound: Inbound) -> Received:
        """In one transaction, before Twilio gets its answer: the delivery recorded, and
        the message kept to be answered, or a keyword's answer queued (or silence)."""
        channel, sender = inbound.channel, inbound.sender
        with self.app.session() as session:
            # Read before the first write: on SQLite the write lock is held from there to
            # the commit, and every worker's receipts and replies wait for it.
            language = self._contact_language(sender, session)
            opted_out = channel_store.is_opted_out(session, channel, sender)
            if inbound.message_sid and not channel_store.first_delivery(
                    session, CHANNEL, inbound.message_sid, self.app.now()):
                logger.info("Twilio retry of %s acknowledged, not answered again",
                            inbound.message_sid)
                # Its message may still wait (its server died mid-turn): answered here.
                return Received(answer_kept=held_messages.waiting(session, channel,
                                                                  sender) > 0)
            triage = self._triage(session, inbound, language, opted_out)
            if triage.answer:
                queued = self._queue_text(session, sender, triage.answer,
                                          triage.despite_opt_out)
                return Received(queued=queued)
            if not triage.to_bot:
                return Received()
            admission = self.gate.queue(session, channel, sender, asdict(inbound))
            return Received(answer_kept=admission.held_id is not None,
                            notice=admission.notice, claimed=admission.claimed)

    async def _notify(self, request: Any, channel: str, sender: str, payload: dict,
                      notice: str) -> None:
        """Tell the sender their messages are kept (rate limit, assistant down)."""
        language = (await conversation_language(request, sender)
                    or self._contact_language(sender))
        await self._send(sender, holding_texts.text(notice, language))

    @property
    def kept_on_disk(self) -> SpooledReceipts:
        """Messages that came while the database was down."""
        if self._spooled is None:
            self._spooled = SpooledReceipts(
                self.app, CHANNEL, lambda payload: self._receive(Inbound(**payload)),
                lambda request, payload, received: self._after_receive(
                    Inbound(**payload), received, request))
        return self._spooled

    def _database_down(self, inbound: Inbound) -> HTTPResponse:
        """Kept on disk; Twilio's answer tells the customer so (nothing can be queued
        to send), in the language the message seems written in, unless it opts out."""
        self.kept_on_disk.keep(asdict(inbound))
        logger.warning("Twilio message %s from %s kept on disk: the database is down",
                       inbound.message_sid, masked(inbound.sender))
        found = sms.keyword(inbound.body, None)
        if found is not None and found.kind == sms.OPT_OUT:
            return twiml()  # recorded once the database is back; no text to an opt-out
        language = langdetect_language(inbound.body) if inbound.body else None
        return twiml(message=holding_texts.text(holding_texts.UNAVAILABLE, language))

    async def handle(self, inbound: Inbound, request: Request) -> None:
        """The delivery kept (or answered) first, then what follows in the background."""
        received = await on_receipt_thread(self._receive, inbound)
        await self._after_receive(inbound, received, request)

    async def _after_receive(self, inbound: Inbound, received: Received,
                             request: Any) -> None:
        if received.queued is not None:
            self._deliver_in_background(inbound.sender, received.queued)
        if received.notice:
            self._in_background(self._notify(request, inbound.channel, inbound.sender, {},
                                             received.notice))
        if received.answer_kept:
            self.gate.kick(request, inbound.channel, inbound.sender, received.claimed)

    async def _answer_kept(self, request: Any, held: Held) -> None:
        """A kept message answered: by the assistant, or "I can only read text"."""
        inbound = Inbound(**held.payload)
        language, text = await asyncio.to_thread(self._on_file, inbound)
        if inbound.body:
            await self._turn(inbound, text, request, held, language)
            return
        # In the language the conversation is in, else the contact's.
        language = await conversation_language(request, inbound.sender) or language
        await self._send(inbound.sender, sms.not_text_reply(language), answered=held.id)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
                  ) -> Blueprint:
        hook = Blueprint("twilio_messaging", __name__)
        self._on_new_message = on_new_message

        @hook.listener("after_server_start")
        async def start_retries(_app, _loop) -> None:
            if self.configured:
                self._in_background(self.courier.run(self.settings.outbox_poll_seconds))
                self._in_background(self.gate.run(_app, self.settings.outbox_poll_seconds))
                self._in_background(self.kept_on_disk.run(_app,
                                                          self.settings.outbox_poll_seconds))
            else:
                logger.warning("Twilio is not configured (TWILIO_ACCOUNT_SID, "
                               "TWILIO_AUTH_TOKEN): its webhook refuses every request")

        @hook.listener("before_server_stop")
        async def stop_retries(_app, _loop) -> None:
            for task in list(self._background):
                task.cancel()
            await self.gate.wait_for_kicked()
            await self.gate.close()
            if self._sender is not None:
                await self._sender.close()

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.configured})

        @hook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.configured:
                logger.warning("Twilio webhook refused: Twilio is not configured "
                               "(set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)")
                return response.text("Twilio is not configured", status=403)
            form = PostedForm.of(request)
            if not signed_by_twilio(request, form, self.settings):
                logger.warning("Twilio webhook refused: missing or invalid "
                               "X-Twilio-Signature (check PUBLIC_BASE_URL)")
                return response.text("invalid signature", status=403)
            inbound = Inbound.from_form(form)
            if not inbound.sender:
                return response.text("missing From", status=400)
            try:
                await self.handle(inbound, request)
            except DATABASE_DOWN:
                return await asyncio.to_thread(self._database_down, inbound)
            except Exception:  # not kept: Twilio (and nginx, to another server) told so
                logger.exception("Twilio message %s from %s not kept",
                                 inbound.message_sid, masked(inbound.sender))
                return twiml(503)
            return twiml()

        return hook
