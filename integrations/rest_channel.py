"""Rasa's REST channel (`POST /webhooks/rest/webhook`, named "rest"), checked: the body
must be a JSON object with a `sender` and a `message` string (else 400; a huge message
is answered like any other), and the conversation is always the REST channel's. Rasa's
own channel answers a body that is not such an object with a 500, and takes
`input_channel` from the body, so a caller could claim to be a Twilio or Slack sender
and be identified by their phone or Slack id without proving anything.

Registered in credentials.yml as `integrations.rest_channel.CheckedRestInput:`.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request

MAX_SENDER_CHARS = 255


def _body(request: Request) -> Mapping[str, Any]:
    try:
        payload = request.json
    except Exception:  # sanic raises its own InvalidUsage for bodies that are not JSON
        payload = None
    if not isinstance(payload, Mapping):
        raise InvalidUsage('Expected a JSON object like {"sender": "me", "message": "hi"}.')
    return payload


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
