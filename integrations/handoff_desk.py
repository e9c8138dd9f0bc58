"""The handoff desk in the Rasa server: posts cards and thread lines to the AR channel
(through the outbox, so a Slack outage delays and loses nothing), takes the collectors'
buttons and thread replies, pauses and resumes the bot through Rasa's HTTP API, and relays
replies to the customer's own channel, saying in the thread what became of each."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import OutputChannel
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session

from bot.handoff import ar_outbox, service, transcript
from bot.handoff.card import escaped, message_line
from bot.conversation.identity import identify
from bot.handoff.customer_asks import asks_for_the_bot
from bot.handoff.desk import Handover, hand_over
from bot.handoff.frustration import sounds_frustrated
from bot.handoff.reasons import outcome_label
from bot.handoff.relay_rules import why_not_sendable
from bot.handoff.texts import opening_phrase, response_text
from bot.handoff.translation import translator_for
from bot.languages import DEFAULT_LANGUAGE
from bot.ledger.models import HandoffMessage, HandoffRequest
from bot.messaging import channel_store
from bot.runtime.app import ARApp
from bot.settings import Settings
from integrations.handoff_ar_channel import ARChannelPoster
from integrations.handoff_delivery import CustomerDelivery, Outcome, is_opted_out, outbox_outcome
from integrations.outbox import Courier
from integrations.rasa_api import RasaApi
from integrations.slack_conversation import in_session

logger = logging.getLogger(__name__)

RELAY_CHANNEL = "slack_handoff"  # the output channel name Rasa's API relays through
NOTE_PREFIX = "note:"


class HandoffDesk:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.app = ARApp(settings)
        self.client = AsyncWebClient(token=settings.slack_bot_token,
                                     base_url=settings.slack_api_base_url, timeout=15)
        self.rasa = RasaApi(settings)
        self.delivery = CustomerDelivery(self.app)
        self.poster = ARChannelPoster(self.app, self.client, settings.slack_handoff_channel,
                                      translator_for(settings.handoff_translator))
        self.courier = Courier(self.app, {ar_outbox.AR_CHANNEL: self.poster.post},
                               settings.outbox_first_retry_seconds)
        self._names: dict[str, str] = {}
        self._background: set[asyncio.Task] = set()

    @property
    def configured(self) -> bool:
        s = self.settings
        return bool(s.slack_bot_token and s.slack_signing_secret and s.slack_handoff_channel)

    # --- plumbing ----------------------------------------------------------------------

    async def _db(self, work: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(in_session, self.app, work, *args)

    def in_background(self, work: Awaitable) -> asyncio.Task:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def settle(self) -> None:
        """Until background work is done (tests, orderly stops)."""
        while self._background:
            await asyncio.wait(list(self._background))

    def _queue(self, session: Session, handoff: HandoffRequest, kind: str, **fields: Any) -> None:
        if self.configured:
            ar_outbox.queue(session, handoff, kind, self.app.now(), **fields)

    def kick(self, reference: str) -> None:
        """Send what waits for the handoff's card now (in the background)."""
        if self.configured:
            self.in_background(self.courier.deliver(ar_outbox.AR_CHANNEL, reference))

    async def name_of(self, user: str, fallback: Optional[str] = None) -> str:
        if user not in self._names:
            try:
                info = (await self.client.users_info(user=user)).data.get("user") or {}
                profile = info.get("profile") or {}
                self._names[user] = (profile.get("real_name") or info.get("real_name")
                                     or profile.get("display_name") or fallback or user)
            except Exception as error:  # Slack unreachable: the name Slack gave, if any
                logger.warning("Slack users.info for %s failed (%s)", user,
                               type(error).__name__)
                return fallback or "a collector"
        return self._names[user]

    # --- customers' turns --------------------------------------------------------------

    def _open(self, session: Session, conversation_id: str) -> Optional[dict[str, Any]]:
        handoff = service.open_handoff(session, conversation_id)
        if handoff is None:
            return None
        return {"reference": handoff.reference, "status": handoff.status,
                "events_seen": handoff.events_seen}

    def _take_lines(self, session: Session, reference: str, lines: list[dict[str, Any]],
                    events_seen: int, address: Optional[str]) -> None:
        handoff = service.find(session, reference)
        now = self.app.now()
        for line in lines:
            if line["who"] == "collector" or (line["who"] == "bot"
                                              and handoff.status == "claimed"):
                continue  # collectors' lines are in the thread already
            service.add_line(session, handoff, line["who"], line["text"], now,
                             reading=line.get("reading"))
            self._queue(session, handoff, "thread", text=message_line(line))
        handoff.events_seen = max(handoff.events_seen, events_seen)
        if address:
            handoff.address = address  # a Slack customer may write in a new thread

    async def customer_turn(self, conversation_id: str, channel: str, address: str,
                            text: str) -> None:
        """After the bot handled a customer's message: into the card's thread if a
        handoff is open (and back to the bot if the customer asks for it)."""
        handoff = await self._db(self._open, conversation_id)
        if handoff is None:
            verdict = await asyncio.to_thread(sounds_frustrated, text)
            if verdict.frustrated:
                await self._frustration_handoff(conversation_id, verdict.why or "tone")
            return
        tracker = await self.rasa.tracker(conversation_id)
        events = tracker.get("events") or []
        lines = transcript.messages(events, self.app.today(), start=handoff["events_seen"])
        await self._db(self._take_lines, handoff["reference"], lines, len(events), address)
        self.kick(handoff["reference"])
        if handoff["status"] == "claimed" and asks_for_the_bot(text):
            await self.hand_back(handoff["reference"], "customer", None)

    def _hand_over(self, session: Session, tracker: dict[str, Any], why: str) -> Handover:
        conversation_id = tracker["sender_id"]
        channel = tracker.get("latest_input_channel")
        caller = identify(session, conversation_id, channel, self.app.now())
        language = (tracker.get("slots") or {}).get("language") or DEFAULT_LANGUAGE
        metadata = (tracker.get("latest_message") or {}).get("metadata")
        return hand_over(session, self.settings, caller, conversation_id, "frustration",
                         tracker.get("events") or [], channel, metadata, language,
                         self.app.now(), self.app.today(), why)

    async def _frustration_handoff(self, conversation_id: str, why: str) -> None:
        """A frustrated customer goes to a person: recorded, carded, and told so."""
        tracker = await self.rasa.tracker(conversation_id)
        handover = await self._db(self._hand_over, tracker, why)
        if not handover.created:
            return
        language = (tracker.get("slots") or {}).get("language") or DEFAULT_LANGUAGE
        notice = response_text("utter_handoff_frustrated", language,
                               reference=handover.reference)
        if handover.opens is not None:
            notice += " " + response_text("utter_handoff_team_away", language,
                                          opens=opening_phrase(handover.opens, language))
        await self.rasa.append(conversation_id, [
            {"event": "bot", "text": notice, "metadata": {"handoff": handover.reference}}],
            output_channel=RELAY_CHANNEL)
        self.kick(handover.reference)

    # --- collectors' buttons -----------------------------------------------------------

    def _claim(self, session: Session, reference: str, user: str, name: str
               ) -> tuple[service.Change, Optional[dict[str, Any]]]:
        handoff = service.find(session, reference)
        if handoff is None:
            return service.Change(False, f"No handoff {reference}."), None
        change = service.claim(session, handoff, user, name, self.app.now())
        if change.done:
            self._queue(session, handoff, "update")
            self._queue(session, handoff, "thread", text=(
                f":raising_hand: {escaped(name)} claimed this; the bot is paused. Reply in "
                f"this thread to answer the customer; start with `note:` to keep a remark "
                f"internal."))
        return change, self._target(handoff)

    @staticmethod
    def _target(handoff: HandoffRequest) -> dict[str, Any]:
        return {"conversation_id": handoff.conversation_id, "reference": handoff.reference,
                "language": handoff.language or DEFAULT_LANGUAGE, "status": handoff.status}

    def _say_in_thread(self, session: Session, reference: str, text: str) -> None:
        handoff = service.find(session, reference)
        if handoff is not None:
            self._queue(session, handoff, "thread", text=text)

    async def claim(self, reference: str, user: str, fallback_name: Optional[str] = None
                    ) -> service.Change:
        name = await self.name_of(user, fallback_name)
        change, target = await self._db(self._claim, reference, user, name)
        if not change.done:
            if target is not None:
                await self._db(self._say_in_thread, reference, f"<@{user}>: {change.message}")
                self.kick(reference)
            return change
        notice = response_text("utter_handoff_claimed", target["language"], collector=name)
        await self.rasa.append(target["conversation_id"], [
            {"event": "pause"},
            {"event": "bot", "text": notice, "metadata": {"handoff": reference}}],
            output_channel=RELAY_CHANNEL)
        self.kick(reference)
        return change

    def _close(self, session: Session, reference: str, how: str, actor: str, by: str,
               outcome: Optional[str]) -> tuple[service.Change, Optional[dict[str, Any]]]:
        handoff = service.find(session, reference)
        if handoff is None:
            return service.Change(False, f"No handoff {reference}."), None
        now = self.app.now()
        if how == "back":
            change = service.hand_back(session, handoff, actor, now)
            line = (":leftwards_arrow_with_hook: The customer asked for the bot back; it "
                    "answers again." if actor == "customer" else
                    f":leftwards_arrow_with_hook: {escaped(by)} handed the conversation back "
                    f"to the bot.")
        else:
            change = service.resolve(session, handoff, outcome or "", actor, now)
            line = f":white_check_mark: {escaped(by)} resolved this: " \
                   f"{outcome_label(outcome or 'other')}. The bot answers again."
        if change.done:
            self._queue(session, handoff, "update")
            self._queue(session, handoff, "thread", text=line)
        return change, self._target(handoff)

    async def hand_back(self, reference: str, user: str, fallback_name: Optional[str]
                        ) -> service.Change:
        """Back to the bot, by a collector (user id) or by the customer (user "customer")."""
        by_customer = user == "customer"
        name = "the customer" if by_customer else await self.name_of(user, fallback_name)
        actor = "customer" if by_customer else f"slack:{user}"
        change, target = await self._db(self._close, reference, "back", actor, name, None)
        if change.done:
            notice = response_text("utter_handoff_back", target["language"])
            await self.rasa.append(target["conversation_id"], [
                {"event": "resume"},
                {"event": "bot", "text": notice, "metadata": {"handoff": reference}}],
                output_channel=RELAY_CHANNEL)
        elif target is not None:
            await self._db(self._say_in_thread, reference, change.message)
        self.kick(reference)
        return change

    async def resolve(self, reference: str, outcome: str, user: str,
                      fallback_name: Optional[str] = None) -> service.Change:
        name = await self.name_of(user, fallback_name)
        change, target = await self._db(self._close, reference, "resolve", f"slack:{user}",
                                        name, outcome)
        if change.done:
            await self.rasa.append(target["conversation_id"], [{"event": "resume"}])
        elif target is not None:
            await self._db(self._say_in_thread, reference, change.message)
        self.kick(reference)
        return change

    # --- collectors' thread replies ----------------------------------------------------

    def is_ar_event(self, event: dict[str, Any]) -> bool:
        return bool(self.configured and event.get("channel") == self.settings.slack_handoff_channel)

    def _first_time(self, session: Session, event_id: Optional[str]) -> bool:
        return not event_id or channel_store.first_delivery(
            session, ar_outbox.AR_CHANNEL, f"event:{event_id}", self.app.now())

    def _take_reply(self, session: Session, event: dict[str, Any], name: str
                    ) -> Optional[dict[str, Any]]:
        """Record a collector's thread message; what to do with it, or None to ignore it."""
        handoff = service.by_card(session, event["channel"], event["thread_ts"])
        if handoff is None or service.reply_seen(session, handoff, event["ts"]):
            return None
        text = (event.get("text") or "").strip()
        now = self.app.now()
        target = self._target(handoff)
        if text.lower().startswith(NOTE_PREFIX):
            service.add_line(session, handoff, "note", text[len(NOTE_PREFIX):].strip(), now,
                             author=name, slack_ts=event["ts"])
            self._queue(session, handoff, "reaction", ts=event["ts"], name="lock")
            return {**target, "action": "note"}
        if handoff.status not in service.OPEN:
            self._queue(session, handoff, "thread", text=(
                f":no_entry: Not sent: this handoff is closed ({handoff.status}). Ask the "
                f"customer to write again, or wait for a new handoff."))
            return {**target, "action": "closed"}
        claim = handoff.status == "requested"
        line = service.add_line(session, handoff, "collector", text, now, author=name,
                                slack_ts=event["ts"])
        why = why_not_sendable(handoff.channel, handoff.channel in ("sms", "whatsapp")
                               and channel_store.is_opted_out(session, handoff.channel,
                                                              handoff.address or ""),
                               handoff.last_customer_message_at or handoff.created_at, now)
        if why:
            line.delivery, line.delivery_detail = "not_sent", why
            self._queue(session, handoff, "thread",
                        text=f":warning: Not sent to the customer: {why}.")
            return {**target, "action": "blocked"}
        line.delivery = "pending"
        return {**target, "action": "relay", "line_id": line.id, "text": text, "claim": claim}

    async def collector_event(self, payload: dict[str, Any]) -> None:
        event = payload.get("event") or {}
        if (event.get("type") != "message" or event.get("bot_id") or not event.get("user")
                or not event.get("thread_ts") or event.get("thread_ts") == event.get("ts")
                or event.get("subtype") not in (None, "file_share")):
            return  # edits, joins, the app's own posts, top-level chatter: not replies
        if not await self._db(self._first_time, payload.get("event_id")):
            return
        if event.get("subtype") == "file_share":
            reference = await self._db(self._files_not_relayed, event)
            if reference:
                self.kick(reference)
            return
        name = await self.name_of(event["user"])
        todo = await self._db(self._take_reply, event, name)
        if todo is None:
            return
        if todo["action"] == "relay":
            if todo["claim"]:  # answering an unclaimed card takes it: no bot talking over
                await self.claim(todo["reference"], event["user"], name)
            await self._relay(todo, event, name)
        self.kick(todo["reference"])

    def _files_not_relayed(self, session: Session, event: dict[str, Any]) -> Optional[str]:
        handoff = service.by_card(session, event["channel"], event["thread_ts"])
        if handoff is None:
            return None
        self._queue(session, handoff, "thread", text=(
            ":warning: Files are not relayed to the customer; only text is. Write the "
            "answer, or send the document from the AR system."))
        return handoff.reference

    async def _relay(self, todo: dict[str, Any], event: dict[str, Any], name: str) -> None:
        try:
            await self.rasa.append(todo["conversation_id"], [{
                "event": "bot", "text": todo["text"],
                "metadata": {"collector": name, "collector_slack_id": event["user"],
                             "handoff_line": todo["line_id"]}}], output_channel=RELAY_CHANNEL)
        except Exception as error:
            logger.exception("relaying %s's reply for %s failed", name, todo["reference"])
            await self._db(self._set_outcome, todo["line_id"],
                           Outcome("failed", f"the assistant could not take it ({error})"))
        await self._db(self._report, todo["line_id"], event["ts"])

    def _set_outcome(self, session: Session, line_id: int, outcome: Outcome) -> None:
        line = session.get(HandoffMessage, line_id)
        line.delivery, line.delivery_detail = outcome.delivery, outcome.detail
        line.outbox_ids = list(outcome.outbox_ids)

    def _report(self, session: Session, line_id: int, ts: str) -> None:
        """Show in the thread what became of a relayed reply."""
        line = session.get(HandoffMessage, line_id)
        handoff = line.handoff
        if line.delivery == "delivered":
            self._queue(session, handoff, "reaction", ts=ts, name="white_check_mark")
            if line.delivery_detail and "SMS" not in line.delivery_detail:
                self._queue(session, handoff, "thread", text=f":white_check_mark: "
                            f"{line.delivery_detail}.")
        elif line.delivery == "pending":
            self._queue(session, handoff, "thread",
                        text=f":hourglass_flowing_sand: Not delivered yet: {line.delivery_detail}.")
        elif line.delivery in ("failed", "not_sent"):
            self._queue(session, handoff, "thread",
                        text=f":warning: Not delivered to the customer: {line.delivery_detail}.")

    # --- the relay's output channel (called by Rasa under the conversation's lock) -----

    def _latest_target(self, session: Session, conversation_id: str) -> Optional[dict[str, Any]]:
        from sqlalchemy import select

        handoff = session.scalars(select(HandoffRequest).where(
            HandoffRequest.conversation_id == conversation_id)
            .order_by(HandoffRequest.id.desc())).first()
        if handoff is None:
            return None
        return {"channel": handoff.channel or "rest", "address": handoff.address or conversation_id,
                "last": handoff.last_customer_message_at or handoff.created_at}

    async def send_to_customer(self, conversation_id: str, message: dict[str, Any]) -> None:
        text = message.get("text")
        target = await self._db(self._latest_target, conversation_id)
        if not text or target is None:
            logger.warning("handoff relay: nothing to send to %s", conversation_id[-4:])
            return
        line_id = message.get("handoff_line")
        opted_out = target["channel"] in ("sms", "whatsapp") and await asyncio.to_thread(
            is_opted_out, self.app, target["channel"], target["address"])
        why = why_not_sendable(target["channel"], opted_out, target["last"], self.app.now())
        if why:
            outcome = Outcome("not_sent", why)
        else:
            outcome = await self.delivery.send(target["channel"], target["address"], text)
        logger.info("handoff relay on %s: %s (%s)", target["channel"], outcome.delivery,
                    outcome.detail)
        if line_id is not None:
            await self._db(self._set_outcome, line_id, outcome)

    # --- the clock: retries, re-announcements, late deliveries --------------------------

    def _reannounce(self, session: Session) -> list[str]:
        now = self.app.now()
        due = [handoff for handoff in service.due_for_reannounce(
            session, now, self.settings.handoff_sla_minutes)
            if service.take_reannounce(session, handoff, now)]
        for handoff in due:
            collector = (handoff.snapshot or {}).get("customer") or {}
            mention = f"<@{collector['collector_slack_id']}> " \
                if collector.get("collector_slack_id") else ""
            self._queue(session, handoff, "reannounce", text=(
                f"{mention}:alarm_clock: {handoff.reference} is still unclaimed: the customer "
                f"has waited {service.waited_minutes(handoff, now)} min."))
        return [h.reference for h in due]

    def _late_deliveries(self, session: Session) -> list[str]:
        from sqlalchemy import select

        lines = session.scalars(select(HandoffMessage).where(
            HandoffMessage.delivery == "pending", HandoffMessage.outbox_ids.is_not(None)))
        touched = []
        for line in lines:
            outcome = outbox_outcome(self.app, line.handoff.channel or "",
                                     tuple(line.outbox_ids or ()))
            if outcome.delivery != "pending" and service.settle_delivery(
                    session, line, outcome.delivery, outcome.detail):
                self._report(session, line.id, line.slack_ts)
                touched.append(line.handoff.reference)
        return touched

    async def tick(self) -> None:
        await self.courier.deliver_due()
        for reference in (await self._db(self._reannounce)
                          + await self._db(self._late_deliveries)):
            self.kick(reference)

    async def run(self, poll_seconds: float) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a bad round must not end the desk
                logger.exception("handoff desk round failed")
            await asyncio.sleep(poll_seconds)


class RelayOutput(OutputChannel):
    """Where Rasa's API sends a collector's message (output_channel=slack_handoff): to the
    customer's own channel, by the desk."""

    def __init__(self, desk: HandoffDesk):
        self.desk = desk

    @classmethod
    def name(cls) -> str:
        return RELAY_CHANNEL

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self.desk.send_to_customer(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.desk.send_to_customer(recipient_id, {"text": text, **kwargs})
