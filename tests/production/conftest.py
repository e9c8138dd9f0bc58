"""The production topology, once per test module: PostgreSQL for the AR database and the
tracker store, a Redis lock store with a password, TWO Rasa servers and TWO action servers
sharing them behind nginx (from deploy/nginx's template), and the console. Started by the
same `start_servers` as `make run`; only settings differ."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from unittest import mock

import pytest

from bot.runtime.app import ARApp
from bot.runtime.runner import prepare_ledger, start_servers, stop_servers
from bot.settings import Settings, load_settings
from tests.conftest import BUSINESS_DATE
from tests.fakes.ports import free_port
from tests.production.services import Nginx, Postgres, Redis


@dataclass
class Topology:
    settings: Settings
    postgres: Postgres
    redis: Redis
    nginx: Nginx
    processes: list = field(default_factory=list)

    def rasa_process(self, index: int):
        """The Rasa server listening on the settings' `index`-th Rasa port."""
        port = f"--port {self.settings.rasa_ports[index]} "
        return next(p for p in self.processes if port in " ".join(p.args) + " ")

    def say(self, sender: str, text: str, timeout: float = 120) -> tuple[list[str], str]:
        """A message over the REST channel through nginx: the replies' texts and which
        Rasa server (host:port) answered."""
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(f"{self.nginx.url}/webhooks/rest/webhook", body,
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            upstream = response.headers.get("X-AR-Upstream", "")
            return [m.get("text", "") for m in json.load(response)], upstream

    def events(self, sender: str) -> list[dict]:
        url = (f"{self.nginx.url}/conversations/{sender}/tracker"
               f"?token={self.settings.rasa_auth_token}")
        with urllib.request.urlopen(url, timeout=60) as response:
            return json.load(response)["events"]


def turns(events: list[dict]) -> list[tuple[str, list[str]]]:
    """(what the customer wrote, what the bot answered before the next message), in the
    order the tracker store holds them."""
    found: list[tuple[str, list[str]]] = []
    for event in events:
        if event.get("event") == "user":
            found.append((event.get("text") or "", []))
        elif event.get("event") == "bot" and found:
            found[-1][1].append(event.get("text") or "")
    return found


def wait_for(check, timeout: float = 60, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


@pytest.fixture(scope="module")
def postgres() -> Postgres:
    """A PostgreSQL cluster of the module's own: `create_database` for each test's."""
    server = Postgres()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def production(trained_model) -> Topology:
    started = time.monotonic()
    # Our own folder: pytest keeps only its last few base folders, and other runs on the
    # machine would remove this one (logs, state) while the servers still use it.
    state = Path(tempfile.mkdtemp(prefix="ar-production-"))
    postgres = Postgres()
    postgres.start()
    redis = Redis(state)
    redis.start()
    rasa_ports, action_ports = (free_port(), free_port()), (free_port(), free_port())
    nginx = Nginx(rasa_ports, action_ports)
    nginx.start()
    env = {"AR_STATE_DIR": str(state), "AR_TODAY": BUSINESS_DATE.isoformat(),
           "AR_DATABASE_URL": postgres.create_database("ar"),
           "TRACKER_STORE_URL": postgres.create_database("transcripts"),
           "LOCK_STORE_URL": redis.url(),
           "RASA_PORT": str(rasa_ports[0]), "RASA_PORTS": ",".join(map(str, rasa_ports)),
           "ACTION_SERVER_PORT": str(action_ports[0]),
           "ACTION_SERVER_PORTS": ",".join(map(str, action_ports)),
           "ACTION_SERVER_URL": f"http://127.0.0.1:{nginx.actions_port}/webhook",
           "PUBLIC_BASE_URL": nginx.url,
           "CONSOLE_PORT": str(free_port()),
           "RASA_AUTH_TOKEN": "production-" + secrets.token_urlsafe(16),
           "RASA_WORKERS": "1",  # as deploy/ runs them: one worker per server
           # Retries of failed sends come round quickly in these tests.
           "OUTBOX_POLL_SECONDS": "0.5", "OUTBOX_FIRST_RETRY_SECONDS": "1"}
    topology: Optional[Topology] = None
    try:
        with mock.patch.dict(os.environ, env):
            settings = load_settings()
            prepare_ledger(ARApp(settings))
            topology = Topology(settings, postgres, redis, nginx)
            topology.processes = start_servers(settings, trained_model, log_dir=state / "logs")
            print(f"\nproduction topology up in {time.monotonic() - started:.1f} s")
            yield topology
    finally:
        if topology is not None:
            stop_servers(topology.processes)
        nginx.remove()
        redis.stop()
        postgres.remove()
        shutil.rmtree(state, ignore_errors=True)
