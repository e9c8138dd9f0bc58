"""A fake of Slack's Web API on loopback (aiohttp, in a thread of its own): the real
slack_sdk client posts to it (`base_url`), and tests read back what Slack would show."""

from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass
from typing import Any, Optional

from aiohttp import web


@dataclass(frozen=True)
class Post:
    channel: str
    thread_ts: Optional[str]
    text: str
    blocks: Optional[list]
    ts: str


@dataclass(frozen=True)
class SlackUser:
    email: str
    email_confirmed: bool


class FakeSlackAPI:
    """chat.postMessage (recorded in order; fail_next(n) answers the next n with a 503
    as Slack does when it has trouble) and users.info (from the users table), both
    refusing a wrong bearer token with invalid_auth."""

    def __init__(self, bot_token: str):
        self.bot_token = bot_token
        self.users: dict[str, SlackUser] = {}
        self.user_lookups: list[str] = []
        self.failed_posts = 0
        self._posts: list[Post] = []
        self._failures_left = 0
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: Optional[web.AppRunner] = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def __enter__(self) -> "FakeSlackAPI":
        started = threading.Event()
        threading.Thread(target=self._serve, args=(started,), daemon=True).start()
        started.wait(10)
        return self

    def __exit__(self, *_exc) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._failures_left = count

    def posts(self, channel: Optional[str] = None) -> list[Post]:
        with self._lock:
            return [p for p in self._posts if channel in (None, p.channel)]

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/api/chat.postMessage", self._post_message)
        app.router.add_route("*", "/api/users.info", self._users_info)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        started.set()
        self._loop.run_forever()

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.bot_token}"

    @staticmethod
    async def _arguments(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return {**request.query, **(await request.json())}
        return {**request.query, **(await request.post())}

    async def _post_message(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        args = await self._arguments(request)
        if not args.get("channel") or not (args.get("text") or args.get("blocks")):
            return web.json_response({"ok": False, "error": "no_text"})
        with self._lock:
            if self._failures_left:
                self._failures_left -= 1
                self.failed_posts += 1
                return web.json_response({"ok": False, "error": "service_unavailable"},
                                         status=503)
            post = Post(args["channel"], args.get("thread_ts"), args.get("text") or "",
                        args.get("blocks"), f"1790000000.{next(self._ts):06d}")
            self._posts.append(post)
        return web.json_response({"ok": True, "channel": post.channel, "ts": post.ts,
                                  "message": {"text": post.text, "ts": post.ts}})

    async def _users_info(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        user_id = (await self._arguments(request)).get("user", "")
        self.user_lookups.append(user_id)
        user = self.users.get(user_id)
        if user is None:
            return web.json_response({"ok": False, "error": "user_not_found"})
        return web.json_response({"ok": True, "user": {
            "id": user_id, "is_bot": False, "is_email_confirmed": user.email_confirmed,
            "profile": {"email": user.email, "real_name": user_id}}})
