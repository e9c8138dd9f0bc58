"""A fake of Twilio's REST API on loopback: the real twilio SDK sends to it
(`client.api.base_url`), and tests read back what a phone would have received."""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional
from urllib.parse import parse_qs

from tests.fakes.waiting import until

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")


@dataclass(frozen=True)
class SentMessage:
    to: str
    from_: str
    body: str
    sid: str
    media_urls: tuple[str, ...] = ()  # MediaUrl: what Twilio would fetch and deliver


class FakeTwilioAPI:
    """Accepts POST /2010-04-01/Accounts/{sid}/Messages.json with basic auth, records
    each message in order, answers with a message resource. fail_next(n) makes the next
    n sends fail with a 500, as Twilio does when it has trouble."""

    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.messages: list[SentMessage] = []
        self.failed_attempts = 0
        self._failures_left = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FakeTwilioAPI":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._failures_left = count

    def down(self) -> None:
        """Twilio has an outage: every send fails with a 500 until up()."""
        self.fail_next(10 ** 9)

    def up(self) -> None:
        self.fail_next(0)

    def sent_to(self, recipient: str) -> list[SentMessage]:
        with self._lock:
            return [m for m in self.messages if m.to == recipient]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> bool:
        """Whether condition came true within timeout (for what is sent in the background)."""
        return until(condition, timeout)

    def _authorised(self, header: Optional[str]) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def _accept(self, path: str, authorization: Optional[str], form: dict[str, list[str]]
                ) -> tuple[int, dict]:
        match = MESSAGES_PATH.match(path)
        if not match or match["sid"] != self.account_sid:
            return 404, {"code": 20404, "message": "The requested resource was not found",
                         "status": 404}
        if not self._authorised(authorization):
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        field = {name: values[0] for name, values in form.items()}
        media = tuple(form.get("MediaUrl", []))
        if not field.get("To") or not field.get("From") or not ("Body" in field or media):
            return 400, {"code": 21604, "message": "A 'To', 'From' and 'Body' are required",
                         "status": 400}
        with self._lock:
            if self._failures_left:
                self._failures_left -= 1
                self.failed_attempts += 1
                return 500, {"code": 20500, "message": "Internal Server Error",
                             "status": 500}
            message = SentMessage(field["To"], field["From"], field.get("Body", ""),
                                  ("MM" if media else "SM") + uuid.uuid4().hex, media)
            self.messages.append(message)
        return 201, {"sid": message.sid, "account_sid": self.account_sid,
                     "to": message.to, "from": message.from_, "body": message.body,
                     "num_media": str(len(message.media_urls)),
                     "status": "queued", "num_segments": "1", "direction": "outbound-api",
                     "api_version": "2010-04-01", "price": None, "error_code": None,
                     "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/"
                            f"{message.sid}.json"}

    def _handler(self) -> type:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                status, payload = api._accept(self.path, self.headers.get("Authorization"),
                                              form)
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:
                pass

        return Handler
