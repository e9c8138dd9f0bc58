"""A reply sink on loopback standing in for Twilio's Messages API: the assistant's real
Twilio client sends its replies here (TWILIO_API_BASE_URL), and the benchmark's simulated
phones wait here for what they were sent, with the time each segment arrived."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Optional

from aiohttp import web

MESSAGES_PATH = "/2010-04-01/Accounts/{sid}/Messages.json"


@dataclass(frozen=True)
class Received:
    body: str
    at: float  # time.monotonic() on arrival


class ReplySink:
    """Accepts what Twilio's API accepts (basic auth with the account's SID and token) and
    keeps, per phone, every message in order of arrival."""

    def __init__(self, account_sid: str, auth_token: str, port: int):
        self.account_sid, self.port = account_sid, port
        self._authorization = "Basic " + base64.b64encode(
            f"{account_sid}:{auth_token}".encode()).decode()
        self._received: dict[str, list[Received]] = defaultdict(list)
        self._arrivals: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.refused = 0
        self._runner: Optional[web.AppRunner] = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(MESSAGES_PATH, self._message)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _message(self, request: web.Request) -> web.Response:
        form = await request.post()
        if (request.match_info["sid"] != self.account_sid
                or request.headers.get("Authorization") != self._authorization
                or not form.get("To")):
            self.refused += 1
            return web.json_response({"code": 20003, "message": "Authenticate",
                                      "status": 401}, status=401)
        to, body = str(form["To"]), str(form.get("Body", ""))
        self._received[to].append(Received(body, time.monotonic()))
        self._arrivals[to].set()
        sid = "SM" + uuid.uuid4().hex
        return web.json_response(
            {"sid": sid, "account_sid": self.account_sid, "to": to, "from": form.get("From"),
             "body": body, "status": "queued", "num_segments": "1", "num_media": "0",
             "direction": "outbound-api", "api_version": "2010-04-01", "price": None,
             "error_code": None, "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/"
                                        f"{sid}.json"}, status=201)

    def count(self, phone: str) -> int:
        return len(self._received[phone])

    def since(self, phone: str, start: int) -> list[Received]:
        return list(self._received[phone][start:])

    async def next_arrival(self, phone: str, timeout: float) -> bool:
        """Wait until something more arrives for phone (False at the timeout)."""
        event = self._arrivals[phone]
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        event.clear()
        return True
