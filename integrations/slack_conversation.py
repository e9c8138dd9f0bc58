"""One customer message from Slack, answered: who wrote it (by Slack user id, else by
the email Slack confirmed), what the assistant says (a file shared without a word gets
"I can only read text", in the conversation's language), and the replies queued in the
outbox for the message's thread and delivered in order."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot import clock
from bot.conversation.identity import Caller, identify, link_slack_user_by_email
from bot.messaging import channel_store, held_messages
from bot.messaging.channel_store import Outgoing
from bot.messaging.held_messages import Held
from bot.messaging.sms import not_text_reply
from bot.messaging.slack_text import choices_offered, slack_messages
from bot.runtime.app import ARApp
from integrations import handoff_hook
from integrations.outbox import Courier
from integrations.rasa_operations import keep_failed_turns
from integrations.rasa_tracker import conversation_language
from integrations.resumed_turns import answer_once
from integrations.rest_channel import DELIVERY_KEY
from integrations.slack_api import CHANNEL, SlackWebApi, thread_address
from integrations.slack_events import SlackMessage

logger = logging.getLogger(__name__)


def in_session(app: ARApp, operation: Callable[..., Any], *args: Any) -> Any:
    """operation(session, *args) in a session of its own (call it in a thread)."""
    with app.session() as session:
        return operation(session, *args)


class TurnReplies(OutputChannel):
    """What the assistant said in one turn, kept to be queued in the outbox."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.messages.append(dict(message))


class SlackConversation:
    def __init__(self, app: ARApp, api: SlackWebApi, courier: Courier):
        self.app, self.api, self.courier = app, api, courier

    async def answer(self, message: SlackMessage,
                     on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     request: Any = None, held: Optional[Held] = None) -> None:
        """Answer message; held: the kept message it is, marked answered in the
        transaction that queues the replies (so a server dying after it cannot answer it
        twice), and finished by the gate once the turn is done."""
        caller, choice = await asyncio.to_thread(self._on_file, message)
        if caller is None:
            caller = await self._by_confirmed_email(message.user)
        if not message.text:  # a file shared without a word: nothing for the assistant
            await self.say(message, request, not_text_reply, caller, held)
            return
        queued = await self._converse(message, choice, on_new_message, request, held)
        address = thread_address(message.channel, message.thread_ts)
        await self.courier.deliver(CHANNEL, address, queued)
        # After the replies are out: the frustration check and an open handoff's relay
        # need not hold them back. Then the kept message is done.
        await handoff_hook.customer_turn(message.user, CHANNEL, address, message.text)

    async def say(self, message: SlackMessage, request: Any,
                  text_for: Callable[[Optional[str]], str],
                  caller: Optional[Caller] = None, held: Optional[Held] = None) -> None:
        """Answer in the message's thread with our own text (not the assistant's), in the
        conversation's language, else the caller's."""
        language = (await conversation_language(request, message.user)
                    or (caller.language if caller else None))
        queued = await asyncio.to_thread(self._queue, message, [{"text": text_for(language)}],
                                         False, held)
        await self.courier.deliver(CHANNEL, thread_address(message.channel, message.thread_ts),
                                   queued)

    async def _converse(self, message: SlackMessage, choice: Optional[dict[str, Any]],
                        on_new_message: Callable[[UserMessage], Awaitable[Any]],
                        request: Any = None, held: Optional[Held] = None
                        ) -> list[Outgoing]:
        """The assistant's turn (choice: the numbered choice the message picks), its
        replies queued: what the courier is to send."""
        replies = TurnReplies()
        keep_failed_turns()  # the action server unreachable: kept and answered again
        await answer_once(request, UserMessage(
            choice["payload"] if choice else message.text, replies, message.user,
            input_channel=CHANNEL, message_id=message.delivery_id,
            metadata={**message.metadata(), DELIVERY_KEY: message.delivery_id}),
            on_new_message, held is not None and held.resumed)
        return await asyncio.to_thread(self._queue, message, replies.messages, True, held)

    def _on_file(self, message: SlackMessage
                 ) -> tuple[Optional[Caller], Optional[dict[str, Any]]]:
        """In one transaction: who the Slack user is, if known by their Slack id, and the
        numbered choice their message picks, if any."""
        with self.app.session() as session:
            caller = identify(session, message.user, CHANNEL, clock.now())
            choice = (channel_store.chosen(session, CHANNEL, message.user, message.text)
                      if message.text else None)
        return caller, choice

    async def _by_confirmed_email(self, user: str) -> Optional[Caller]:
        """A Slack user not yet on file, tied to the contact with their confirmed email."""
        try:
            email = await self.api.verified_email(user)
        except Exception as error:  # Slack unreachable: answer as to an unknown user
            logger.warning("Slack users.info for %s failed (%s)", user, type(error).__name__)
            return None
        caller = email and await asyncio.to_thread(in_session, self.app,
                                                   link_slack_user_by_email, user, email)
        if caller:
            logger.info("Slack user %s recognised by their confirmed email", user)
        return caller or None

    def _queue(self, message: SlackMessage, bot_messages: list[dict[str, Any]],
               offer_choices: bool = True, held: Optional[Held] = None) -> list[Outgoing]:
        """The replies into the outbox; held: the kept message they answer, marked
        answered in the same transaction. What the courier is to send."""
        bodies = slack_messages(bot_messages, self.app.settings.slack_max_message_chars)
        now = clock.now()
        with self.app.session() as session:
            queued = self.courier.queue(
                session, CHANNEL, thread_address(message.channel, message.thread_ts), bodies,
                now, thread=message.thread_ts)
            if offer_choices:  # a turn's choices replace those offered before
                channel_store.offer_choices(session, CHANNEL, message.user,
                                            choices_offered(bot_messages), now)
            if held is not None:
                held_messages.answer_queued(session, held.id)
        return queued
