"""A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts, parsed,
for tests to open; stop() and start() take it down and bring it back on the same port."""

from __future__ import annotations

import email
import email.policy
import threading
from email.message import EmailMessage
from typing import Callable

from aiosmtpd.controller import Controller

from tests.fakes.ports import free_port
from tests.fakes.waiting import until


class _Keep:
    def __init__(self, server: "MailServer"):
        self.server = server

    async def handle_DATA(self, _server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class MailServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.lock = threading.Lock()
        self._controller = None

    def start(self) -> "MailServer":
        self._controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "MailServer":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpts, m in self.messages if address in rcpts]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> bool:
        return until(condition, timeout)
