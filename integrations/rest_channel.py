"""Rasa's REST channel (/webhooks/rest/webhook), handling each delivery once.

Behind nginx, a message whose Rasa server dies while handling it is sent again to the next
server (proxy_next_upstream, deploy/nginx) with the same X-Request-ID. The dead server may
already have saved the turn (the tracker is saved before the answer goes out): then the
turn is not handled a second time, its recorded answer is given again. The delivery's id
is kept in the user turn's metadata, and looked for under the conversation's lock.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Sanic

DELIVERY_HEADER = "X-Request-ID"
DELIVERY_KEY = "delivery_id"
# What a recorded bot turn can carry besides its text, as output channels take it.
BOT_DATA = ("elements", "quick_replies", "buttons", "attachment", "image", "custom")


def recorded_answer(events, delivery_id: str) -> Optional[list[dict[str, Any]]]:
    """What the bot said after the user turn of this delivery, if it was handled."""
    answer: Optional[list[dict[str, Any]]] = None
    for event in events:
        if isinstance(event, UserUttered):
            if answer is not None:
                break
            if (event.metadata or {}).get(DELIVERY_KEY) == delivery_id:
                answer = []
        elif isinstance(event, BotUttered) and answer is not None:
            answer.append({"text": event.text,
                           **{k: v for k, v in (event.data or {}).items()
                              if k in BOT_DATA and v}})
    return answer


class OnceRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def get_metadata(self, request) -> Optional[dict[str, Any]]:
        metadata = dict(request.json.get("metadata") or {})
        delivery = request.headers.get(DELIVERY_HEADER)
        if delivery:
            metadata[DELIVERY_KEY] = delivery
        return metadata or None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]):
        async def once(message: UserMessage) -> Any:
            delivery = (message.metadata or {}).get(DELIVERY_KEY)
            agent = getattr(Sanic.get_app().ctx, "agent", None)
            if not delivery or agent is None or not agent.is_ready():
                return await on_new_message(message)
            # What Agent.handle_message does, with the look for a handled delivery first.
            async with agent.lock_store.lock(message.sender_id):
                tracker = await agent.tracker_store.retrieve(message.sender_id)
                answer = recorded_answer(tracker.events, delivery) if tracker else None
                if answer is None:
                    return await agent.processor.handle_message(message)
                for reply in answer:
                    await message.output_channel.send_response(message.sender_id, reply)
                return None

        return super().blueprint(once)
