"""The Rasa server's own HTTP API (--enable-api, guarded by the auth token), as the handoff
relay uses it: read a conversation, append events (pause, resume, a collector's message),
optionally with their side effects sent through a named output channel."""

from __future__ import annotations

import json
from typing import Any, Optional
from urllib.parse import quote

import aiohttp

from bot.runtime.runner import auth_token
from bot.settings import Settings

TIMEOUT = aiohttp.ClientTimeout(total=60)


class RasaApiError(RuntimeError):
    pass


class RasaApi:
    def __init__(self, settings: Settings):
        self._base = f"http://127.0.0.1:{settings.rasa_port}"
        self._settings = settings

    def _url(self, conversation_id: str, tail: str) -> str:
        # Sanic does not decode %2B in a path: keep + (phone numbers) and : (whatsapp:) as they are.
        return f"{self._base}/conversations/{quote(conversation_id, safe='+:@')}/{tail}"

    def _params(self, **extra: str) -> dict[str, str]:
        return {"token": auth_token(self._settings), **extra}

    async def tracker(self, conversation_id: str) -> dict[str, Any]:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            async with http.get(self._url(conversation_id, "tracker"),
                                params=self._params(include_events="ALL")) as answer:
                if answer.status != 200:
                    raise RasaApiError(f"tracker: HTTP {answer.status}")
                return await answer.json()

    async def append(self, conversation_id: str, events: list[dict[str, Any]],
                     output_channel: Optional[str] = None) -> dict[str, Any]:
        """Append events; with output_channel, bot messages among them are sent through
        that channel's output (execute_side_effects) under the conversation's lock."""
        params = self._params()
        if output_channel:
            params.update(execute_side_effects="true", output_channel=output_channel)
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            async with http.post(self._url(conversation_id, "tracker/events"), params=params,
                                 data=json.dumps(events),
                                 headers={"Content-Type": "application/json"}) as answer:
                if answer.status != 200:
                    raise RasaApiError(f"append events: HTTP {answer.status} "
                                       f"{(await answer.text())[:200]}")
                return await answer.json()
