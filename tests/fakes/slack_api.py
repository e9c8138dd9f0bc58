"""A fake of Slack's Web API on loopback (aiohttp, in a thread of its own): the real
slack_sdk client posts to it (`base_url`), and tests read back what Slack would show."""

from __future__ import annotations

import asyncio
import itertools
import json
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
class Upload:
    """A file shared into a channel (and thread) by files.completeUploadExternal."""

    file_id: str
    channel: str
    thread_ts: Optional[str]
    filename: str
    title: str
    content: bytes


@dataclass
class _PendingFile:
    filename: str
    length: int
    content: Optional[bytes] = None


@dataclass(frozen=True)
class SlackUser:
    email: str
    email_confirmed: bool
    real_name: str = ""


@dataclass(frozen=True)
class Update:
    channel: str
    ts: str
    text: str
    blocks: Optional[list]


@dataclass(frozen=True)
class Reaction:
    channel: str
    ts: str
    name: str


BOT_USER_ID, BOT_ID, TEAM_ID = "U0ARBOT", "B0ARBOT", "T0NORTHWIND"


class FakeSlackAPI:
    """chat.postMessage and chat.update (recorded in order; fail_next(n) answers the next
    n with a 503 as Slack does when it has trouble, and down() every call until up()),
    reactions.add, auth.test, users.info (from the users table), and the file upload of
    files_upload_v2 as Slack runs it: files.getUploadURLExternal (filename and length; an
    upload URL and a file id), a POST of the bytes to that URL, then
    files.completeUploadExternal sharing the uploaded files into a channel or thread. The
    API methods refuse a wrong bearer token with invalid_auth."""

    def __init__(self, bot_token: str, app_token: str = ""):
        self.bot_token, self.app_token = bot_token, app_token
        self.acks: list[str] = []  # envelope ids the app acknowledged over Socket Mode
        self._sockets: list[web.WebSocketResponse] = []
        self.users: dict[str, SlackUser] = {}
        self.user_lookups: list[str] = []
        self.failed_posts = 0
        self._posts: list[Post] = []
        self._uploads: list[Upload] = []
        self._files: dict[str, _PendingFile] = {}
        self._file_ids = itertools.count(1)
        self._upload_failures_left = 0
        self.updates: list[Update] = []
        self.reactions: list[Reaction] = []
        self._down = False
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

    def down(self) -> None:
        """Slack has an outage: every Web API call gets a 503 until up()."""
        with self._lock:
            self._down = True

    def up(self) -> None:
        with self._lock:
            self._down = False

    def _refusal(self, request: web.Request) -> Optional[web.Response]:
        """What Slack answers instead of doing the call: a wrong token, an outage."""
        if not self._authorised(request):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        with self._lock:
            if self._down:
                self.failed_posts += 1
                return web.json_response({"ok": False, "error": "service_unavailable"},
                                         status=503)
        return None

    def posts(self, channel: Optional[str] = None) -> list[Post]:
        with self._lock:
            return [p for p in self._posts if channel in (None, p.channel)]

    def fail_next_uploads(self, count: int) -> None:
        """The next count files.getUploadURLExternal calls answer 503, as Slack in trouble."""
        with self._lock:
            self._upload_failures_left = count

    def uploads(self, channel: Optional[str] = None) -> list[Upload]:
        with self._lock:
            return [u for u in self._uploads if channel in (None, u.channel)]

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/api/chat.postMessage", self._post_message)
        app.router.add_route("*", "/api/users.info", self._users_info)
        app.router.add_route("*", "/api/files.getUploadURLExternal", self._upload_url)
        app.router.add_route("POST", "/upload/v1/{file_id}", self._receive_file)
        app.router.add_route("*", "/api/files.completeUploadExternal", self._complete_upload)
        app.router.add_route("*", "/api/auth.test", self._auth_test)
        app.router.add_route("*", "/api/chat.update", self._update)
        app.router.add_route("*", "/api/reactions.add", self._react)
        app.router.add_route("*", "/api/apps.connections.open", self._open_connection)
        app.router.add_get("/socket", self._socket)
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
        refused = self._refusal(request)
        if refused is not None:
            return refused
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
                        _blocks(args.get("blocks")), f"1790000000.{next(self._ts):06d}")
            self._posts.append(post)
        return web.json_response({"ok": True, "channel": post.channel, "ts": post.ts,
                                  "message": {"text": post.text, "ts": post.ts}})

    async def _auth_test(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response({"ok": True, "url": "https://northwind.slack.com/",
                                  "team": "Northwind", "user": "ar_assistant",
                                  "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                                  "bot_id": BOT_ID, "is_enterprise_install": False})

    async def _update(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        args = await self._arguments(request)
        with self._lock:
            if not any(p.channel == args.get("channel") and p.ts == args.get("ts")
                       for p in self._posts):
                return web.json_response({"ok": False, "error": "message_not_found"})
            update = Update(args["channel"], args["ts"], args.get("text") or "",
                            _blocks(args.get("blocks")))
            self.updates.append(update)
        return web.json_response({"ok": True, "channel": update.channel, "ts": update.ts,
                                  "text": update.text})

    async def _react(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        args = await self._arguments(request)
        reaction = Reaction(args.get("channel", ""), args.get("timestamp", ""),
                            args.get("name", ""))
        with self._lock:
            if reaction in self.reactions:
                return web.json_response({"ok": False, "error": "already_reacted"})
            self.reactions.append(reaction)
        return web.json_response({"ok": True})

    async def _open_connection(self, request: web.Request) -> web.Response:
        """Socket Mode: the app (with its xapp- token) asks where to connect."""
        if not self.app_token or request.headers.get("Authorization") != f"Bearer {self.app_token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)  # pongs the client's pings
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1,
                                "connection_info": {"app_id": "A0AR"},
                                "debug_info": {"host": "fake"}})
        self._sockets.append(socket)
        async for message in socket:
            if message.type == web.WSMsgType.TEXT:
                envelope = json.loads(message.data)
                if envelope.get("envelope_id"):
                    self.acks.append(envelope["envelope_id"])
        self._sockets.remove(socket)
        return socket

    @property
    def socket_connected(self) -> bool:
        return bool(self._sockets)

    def push(self, kind: str, payload: dict) -> str:
        """Deliver an envelope over Socket Mode (events_api, interactive); its id."""
        envelope_id = f"env-{next(self._ts)}"
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": kind == "interactive", "retry_attempt": 0}

        async def send() -> None:
            await self._sockets[-1].send_json(envelope)

        asyncio.run_coroutine_threadsafe(send(), self._loop).result(10)
        return envelope_id

    def latest_card(self, channel: str, ts: str) -> Optional[list]:
        """The blocks a message shows now: its last update's, else its own."""
        with self._lock:
            for update in reversed(self.updates):
                if update.channel == channel and update.ts == ts:
                    return update.blocks
            return next((p.blocks for p in self._posts if p.channel == channel and p.ts == ts),
                        None)

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
            "real_name": user.real_name or user_id,
            "profile": {"email": user.email, "real_name": user.real_name or user_id,
                        "display_name": user.real_name or user_id}}})

    async def _upload_url(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        args = await self._arguments(request)
        length = str(args.get("length") or "")
        if not args.get("filename") or not length.isdigit() or int(length) < 1:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        file_id = f"F0FAKE{next(self._file_ids):05d}"
        with self._lock:
            if self._upload_failures_left:
                self._upload_failures_left -= 1
                return web.json_response({"ok": False, "error": "service_unavailable"},
                                         status=503)
            self._files[file_id] = _PendingFile(args["filename"], int(length))
        return web.json_response({"ok": True, "file_id": file_id,
                                  "upload_url": f"http://127.0.0.1:{self.port}/upload/v1/"
                                                f"{file_id}"})

    async def _receive_file(self, request: web.Request) -> web.Response:
        # The upload URL itself needs no token (it is the secret), like Slack's.
        pending = self._files.get(request.match_info["file_id"])
        if pending is None:
            return web.Response(status=404, text="not found")
        if request.content_type.startswith("multipart/"):
            content = (await request.post())["file"].file.read()
        else:
            content = await request.read()
        with self._lock:
            pending.content = content
        return web.Response(text=f"OK - {len(content)}")

    async def _complete_upload(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        args = await self._arguments(request)
        try:
            files = json.loads(args.get("files") or "")
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        shared = []
        with self._lock:
            for item in files:
                pending = self._files.get(item.get("id"))
                if pending is None:
                    return web.json_response({"ok": False, "error": "file_not_found"})
                if pending.content is None:
                    return web.json_response({"ok": False, "error": "file_upload_not_complete"})
            for item in files:
                pending = self._files.pop(item["id"])
                title = item.get("title") or pending.filename
                if args.get("channel_id"):
                    self._uploads.append(Upload(item["id"], args["channel_id"],
                                                args.get("thread_ts") or None,
                                                pending.filename, title, pending.content))
                shared.append({"id": item["id"], "name": pending.filename, "title": title,
                               "size": len(pending.content), "mimetype": "application/pdf"
                               if pending.filename.endswith(".pdf") else "text/plain"})
        return web.json_response({"ok": True, "files": shared})


def _blocks(value: Any) -> Optional[list]:
    """Blocks as Slack reads them: a JSON string in a form post, a list in a JSON body."""
    if isinstance(value, str):
        return json.loads(value)
    return value
