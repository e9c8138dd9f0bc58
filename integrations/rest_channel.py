"""Rasa's REST channel (`POST /webhooks/rest/webhook`, named "rest"), checked and handling
each delivery once.

Checked: the body must be a JSON object with a `sender` and a `message` string (else 400;
a huge message is answered like any other), and the conversation is always the REST
channel's. Rasa's own channel answers a body that is not such an object with a 500, and
takes `input_channel` from the body, so a caller could claim to be a Twilio or Slack sender
and be identified by their phone or Slack id without proving anything.

Once: behind nginx, a message whose Rasa server dies while handling it is sent again to the
next server (proxy_next_upstream, deploy/nginx) with the same X-Request-ID. The dead server
may already have saved the turn (the tracker is saved before the answer goes out): then the
turn is not handled a second time, its recorded answer is given again. The delivery's id
is kept in the user turn's metadata, and looked for under the conversation's lock.

Registered in credentials.yml as `integrations.rest_channel.CheckedRestInput:`.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Mapping, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Sanic
from sanic.exceptions import InvalidUsage
from sanic.request import Request

MAX_SENDER_CHARS = 255
DELIVERY_HEADER = "X-Request-ID"
DELIVERY_KEY = "delivery_id"
# What a recorded bot turn can carry besides its text, as output channels take it.
BOT_DATA = ("elements", "quick_replies", "buttons", "attachment", "image", "custom")


def _body(request: Request) -> Mapping[str, Any]:
    try:
        payload = request.json
    except Exception:  # sanic raises its own InvalidUsage for bodies that are not JSON
        payload = None
    if not isinstance(payload, Mapping):
        raise InvalidUsage('Expected a JSON object like {"sender": "me", "message": "hi"}.')
    return payload


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


class CheckedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[str]:
        sender = _body(req).get("sender")
        if not isinstance(sender, str) or not sender.strip() or \
                len(sender) > MAX_SENDER_CHARS:
            raise InvalidUsage(f'Expected a "sender" string of 1 to {MAX_SENDER_CHARS} '
                               'characters.')
        return sender

    def _extract_message(self, req: Request) -> Optional[str]:
        message = _body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage('Expected a "message" string.')
        return message

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()  # never what the body claims: it proves nothing

    def get_metadata(self, request) -> Optional[dict[str, Any]]:
        metadata = _body(request).get("metadata")
        metadata = dict(metadata) if isinstance(metadata, Mapping) else {}
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
