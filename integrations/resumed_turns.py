"""A kept message whose server died mid-turn, answered by another server once: if the dead
server had already saved the turn (the tracker is saved before the replies are queued), its
recorded answer is given again instead of the message being handled a second time. The
delivery's id (Twilio's MessageSid, Slack's message) is in the user turn's metadata, as
the REST channel keeps nginx's X-Request-ID (integrations/rest_channel.py)."""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage

from integrations.rest_channel import DELIVERY_KEY, recorded_answer

logger = logging.getLogger(__name__)


async def answer_once(request: Any, message: UserMessage,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      resumed: bool) -> None:
    """Hand message to the assistant, unless resumed and already handled: then what the
    assistant said to it goes to the message's output channel again."""
    delivery = (message.metadata or {}).get(DELIVERY_KEY)
    agent = getattr(getattr(getattr(request, "app", None), "ctx", None), "agent", None)
    if resumed and delivery and agent is not None:
        # No lock needed: the sender's queue claim keeps every other turn of theirs out.
        tracker = await agent.tracker_store.retrieve(message.sender_id)
        answer = recorded_answer(tracker.events, delivery) if tracker else None
        if answer is not None:
            logger.info("delivery %s was handled before its server stopped: its recorded "
                        "answer is given", delivery)
            for reply in answer:
                await message.output_channel.send_response(message.sender_id, reply)
            return
    await on_new_message(message)
