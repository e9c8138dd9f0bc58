"""A reply sink on loopback standing in for Twilio's Messages API and Slack's Web API: the
assistant's real twilio and slack_sdk clients send their replies here (TWILIO_API_BASE_URL,
SLACK_API_BASE_URL), and the benchmark's simulated customers wait here for what they were
sent (keyed by phone, or by Slack channel), with the time each segment arrived."""

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
SLACK_API_PATH = "/slack/api/"
SLACK_TEAM, SLACK_BOT_USER = "T0BENCH", "U0BENCHBOT"


@dataclass(frozen=True)
class Received:
    body: str
    at: float  # time.monotonic() on arrival


class ReplySink:
    """Accepts what Twilio's API accepts (basic auth with the account's SID and token) and
    keeps, per phone, every message in order of arrival."""

    def __init__(self, account_sid: str, auth_token: str, port: int, slack_bot_token: str = ""):
        self.account_sid, self.port = account_sid, port
        self._authorization = "Basic " + base64.b64encode(
            f"{account_sid}:{auth_token}".encode()).decode()
        self._slack_authorization = f"Bearer {slack_bot_token}"
        self._received: dict[str, list[Received]] = defaultdict(list)
        self._arrivals: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.refused = 0
        self._runner: Optional[web.AppRunner] = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def slack_api_url(self) -> str:
        return self.base_url + SLACK_API_PATH

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(MESSAGES_PATH, self._message)
        app.router.add_post(SLACK_API_PATH + "chat.postMessage", self._slack_post)
        app.router.add_post(SLACK_API_PATH + "auth.test", self._slack_auth_test)
        app.router.add_post(SLACK_API_PATH + "users.info", self._slack_user_info)
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
        self._arrived(to, body)
        sid = "SM" + uuid.uuid4().hex
        return web.json_response(
            {"sid": sid, "account_sid": self.account_sid, "to": to, "from": form.get("From"),
             "body": body, "status": "queued", "num_segments": "1", "num_media": "0",
             "direction": "outbound-api", "api_version": "2010-04-01", "price": None,
             "error_code": None, "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/"
                                        f"{sid}.json"}, status=201)

    def _arrived(self, address: str, body: str) -> None:
        self._received[address].append(Received(body, time.monotonic()))
        self._arrivals[address].set()

    def _slack_refusal(self, request: web.Request) -> Optional[web.Response]:
        if request.headers.get("Authorization") == self._slack_authorization:
            return None
        self.refused += 1
        return web.json_response({"ok": False, "error": "invalid_auth"})

    @staticmethod
    async def _slack_arguments(request: web.Request) -> dict:
        if request.content_type == "application/json":
            return {**request.query, **(await request.json())}
        return {**request.query, **(await request.post())}

    async def _slack_post(self, request: web.Request) -> web.Response:
        refused = self._slack_refusal(request)
        if refused is not None:
            return refused
        args = await self._slack_arguments(request)
        channel, text = str(args.get("channel") or ""), str(args.get("text") or "")
        if not channel or not text:
            return web.json_response({"ok": False, "error": "no_text"})
        self._arrived(channel, text)
        ts = f"{time.time():.6f}"
        return web.json_response({"ok": True, "channel": channel, "ts": ts,
                                  "message": {"text": text, "ts": ts}})

    async def _slack_auth_test(self, request: web.Request) -> web.Response:
        return self._slack_refusal(request) or web.json_response(
            {"ok": True, "team_id": SLACK_TEAM, "user_id": SLACK_BOT_USER, "bot_id": "B0BENCH"})

    async def _slack_user_info(self, request: web.Request) -> web.Response:
        # Every benchmark Slack user is on file by id: none is looked up by email.
        return self._slack_refusal(request) or web.json_response(
            {"ok": False, "error": "user_not_found"})

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
