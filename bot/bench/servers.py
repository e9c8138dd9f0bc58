"""Starting what the benchmark measures: our assistant with its embedded defaults on the
generated ledger (the runner's own start_servers), and the bare `rasa init` bot, scaffolded
and trained once into var/bench/baseline, run with `rasa run` (REST, in-memory tracker)."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from bot.bench.ledger import GeneratedLedger
from bot.bench.sink import SLACK_API_PATH
from bot.ledger.importer import import_directory
from bot.ledger.schema import migrate
from bot.runtime.app import ARApp
from bot.runtime.runner import start_servers, stop_servers, wait_until_up
from bot.settings import Settings, load_settings

PUBLIC_BASE_URL = "https://ar.bench.example"  # what Twilio would call; signatures cover it
ACCOUNT_SID = "AC" + "b" * 32
OUR_NUMBER = "+15005550006"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.csv")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def ledger_database(ledger: GeneratedLedger, folder: Path) -> Path:
    """The generated ledger imported (through the importer, from its CSV export) into a
    SQLite file in folder, again only when the export changed: runs copy that file."""
    database = folder / "ar.db"
    done = folder / "imported"
    csv = ledger.write_csv(folder / "csv")
    fingerprint = _fingerprint(csv)
    if database.exists() and done.exists() and done.read_text().strip() == fingerprint:
        return database
    database.unlink(missing_ok=True)
    print(f"Importing the generated ledger ({len(ledger.customers)} customers, "
          f"{ledger.invoice_count} invoices) into {database} (once)...", flush=True)
    app = ARApp(load_settings({"AR_STATE_DIR": str(folder),
                               "AR_DATABASE_URL": f"sqlite:///{database}"}))
    migrate(app.database)
    with app.session() as session:
        import_directory(session, csv)
    app.database.engine.dispose()
    done.write_text(fingerprint + "\n")
    return database


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """values in this process's environment (which the servers inherit), then as before."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass
class Running:
    rest_base: str
    pids: dict[str, int]
    processes: list[subprocess.Popen]
    settings: Optional[Settings] = None

    def stop(self) -> None:
        stop_servers(self.processes)


@dataclass(frozen=True)
class ProviderSecrets:
    """This run's own Twilio auth token and Slack bot token and signing secret."""

    twilio_auth_token: str
    slack_bot_token: str
    slack_signing_secret: str

    @classmethod
    def fresh(cls) -> "ProviderSecrets":
        return cls(secrets.token_urlsafe(24), "xoxb-bench-" + secrets.token_urlsafe(16),
                   secrets.token_hex(16))


def provider_environment(sink_port: int, keys: ProviderSecrets) -> dict[str, str]:
    """What points our Twilio and Slack connectors at the reply sink."""
    sink = f"http://127.0.0.1:{sink_port}"
    return {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": keys.twilio_auth_token,
            "TWILIO_FROM_NUMBER": OUR_NUMBER, "TWILIO_API_BASE_URL": sink,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "SLACK_BOT_TOKEN": keys.slack_bot_token,
            "SLACK_SIGNING_SECRET": keys.slack_signing_secret,
            "SLACK_API_BASE_URL": sink + SLACK_API_PATH}


def start_ours(state: Path, model: Path, database: Path, today: str, sink_port: int,
               keys: ProviderSecrets) -> Running:
    """Our servers on a fresh copy of the ledger, every other setting at its default."""
    if state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True)
    shutil.copyfile(database, state / "ar.db")
    values = {"AR_STATE_DIR": str(state), "AR_TODAY": today,
              "RASA_PORT": str(free_port()), "ACTION_SERVER_PORT": str(free_port()),
              "CONSOLE_PORT": str(free_port()),
              "RASA_AUTH_TOKEN": "bench-" + secrets.token_urlsafe(16),
              # Simulated customers answer in milliseconds, faster than anyone types: the
              # per-sender flood limit would hold their messages back.
              "RATE_LIMIT_MESSAGES": "0",
              **provider_environment(sink_port, keys)}
    with environment(values):
        settings = load_settings()
        processes = start_servers(settings, model, log_dir=state / "logs")
    # The Rasa server, and the action server unless the actions run inside it.
    pids = {name: process.pid for process in processes
            for name, module in (("rasa", "integrations.rasa_server"),
                                 ("actions", "integrations.action_server"))
            if module in process.args}
    return Running(f"http://127.0.0.1:{settings.rasa_port}", pids, processes, settings)


def baseline_model(folder: Path, python: str) -> Path:
    """The bare bot's model: `rasa init --no-prompt` (scaffold and train) the first time."""
    models = sorted((folder / "models").glob("*.tar.gz"))
    if models:
        return models[-1]
    folder.mkdir(parents=True, exist_ok=True)
    print(f"Scaffolding and training the bare bot in {folder} (once, about a minute)...",
          flush=True)
    with (folder.parent / "baseline-init.log").open("wb") as log:
        subprocess.run([python, "-m", "rasa", "init", "--no-prompt", "--init-dir", folder.name],
                       cwd=folder.parent, check=True, stdout=log, stderr=subprocess.STDOUT,
                       env=_bare_environment())
    return sorted((folder / "models").glob("*.tar.gz"))[-1]


def _bare_environment() -> dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}


def start_bare(folder: Path, python: str = sys.executable) -> Running:
    """`rasa run` in the scaffold: its REST channel, its in-memory tracker, no actions."""
    model = baseline_model(folder, python)
    port = free_port()
    log = (folder.parent / "baseline-run.log").open("wb")
    process = subprocess.Popen(
        [python, "-m", "rasa", "run", "--model", str(model), "--endpoints", "endpoints.yml",
         "--credentials", "credentials.yml", "--interface", "127.0.0.1", "--port", str(port)],
        cwd=folder, env=_bare_environment(), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    running = Running(f"http://127.0.0.1:{port}", {"rasa": process.pid}, [process])
    if not wait_until_up(running.rest_base + "/", [process]):
        running.stop()
        raise RuntimeError(f"the bare bot did not start; see {folder.parent / 'baseline-run.log'}")
    return running
