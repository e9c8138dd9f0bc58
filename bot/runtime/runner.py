"""`python -m bot run`: prepare the ledger and the model, then run every server until Ctrl-C."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Optional

from sqlalchemy import func, select

from bot.ledger.importer import DEMO_DATA, import_directory
from bot.ledger.models import Customer
from bot.ledger.schema import migrate
from bot.runtime.app import ARApp
from bot.settings import PROJECT_ROOT, Settings, kept_secret

# The model depends on its data, its config and the code of our own NLU components.
TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "bot/nlu/intent_model.py",
                   "bot/conversation/language_detection.py", "bot/languages.py", "integrations/persisted.py",
                   "integrations/rasa_intent.py", "integrations/rasa_language.py",
                   "integrations/rasa_parsed_entities.py")
START_TIMEOUT_SECONDS = 180
# Every server we start answers these (bot/observability/health.py); /metrics beside them.
LIVE_PATH, READY_PATH = "/health/live", "/health/ready"


def prepare_ledger(app: ARApp) -> None:
    """Create or migrate the schema; load the demo ledger into an empty database."""
    migrate(app.database)
    with app.session() as session:
        if session.scalar(select(func.count(Customer.id))):
            return
        report = import_directory(session, DEMO_DATA)
    print(f"Loaded the demo ledger from {DEMO_DATA}:\n{report.summary()}")


def training_fingerprint(root: Path = PROJECT_ROOT) -> str:
    """A hash of everything the model is trained from: retrain when, and only when, it changes."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def ensure_model(settings: Settings) -> Path:
    """The trained model for the current data and config, training it if needed."""
    name = f"ar-{training_fingerprint()}"
    model = settings.models_dir / f"{name}.tar.gz"
    if model.exists():
        print(f"Model is up to date: {model}")
        return model
    print("Training the model (data or config changed)...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--fixed-model-name", name,
         "--out", str(settings.models_dir)],
        cwd=PROJECT_ROOT, check=True,
    )
    return model


def auth_token(settings: Settings) -> str:
    """The token that guards Rasa's HTTP API: from settings, else one kept in the state
    folder (readable only by its owner), never printed."""
    if settings.rasa_auth_token:
        return settings.rasa_auth_token
    return kept_secret(settings.state_dir / "rasa_auth_token")


def server_environment(settings: Settings) -> dict[str, str]:
    """What endpoints.yml and the servers read, derived from our settings. Secrets travel
    here, in the environment (readable only by the servers' owner), never on a command
    line, which `ps` shows to everyone on the machine."""
    return {
        **os.environ,
        "RASA_AUTH_TOKEN": auth_token(settings),
        "ACTION_SERVER_URL": settings.action_server_url,
        "TRACKER_STORE_URL": settings.tracker_store_url,
        "LOCK_STORE_URL": settings.lock_store_url,
        # The action server trusts what Rasa tells it, so only Rasa may reach it.
        "SANIC_HOST": settings.action_interface,
        # Keep idle connections open longer than the Rasa server's client does (15 s),
        # so it never sends a request on a connection the action server is closing.
        "SANIC_KEEP_ALIVE_TIMEOUT": "75",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        # Every line a server writes is one of its log records (LOG_FORMAT): no notes
        # printed by TensorFlow's C++ core, which Python's logging never sees.
        # (Not inherited: importing Rasa sets it to 1 in the process that starts us.)
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


def wait_until_up(url: str, processes: list[subprocess.Popen], times: int = 1) -> bool:
    """Whether url answered `times` times in a row before the start timeout, each time on
    a new connection: the kernel spreads those over a server's worker processes, each of
    which is ready on its own (its frustration model trained), so a server of several
    workers is asked a few times per worker."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    answered = 0
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                answered += 1
            if answered >= times:
                return True
        except OSError:
            answered = 0
            time.sleep(0.2)
    return False


def metrics_dir(settings: Settings, server: str, port: int) -> str:
    """An empty folder for the Prometheus counts of a server's worker processes, or ""
    for a server of one process (its counts stay in memory)."""
    if settings.rasa_workers <= 1:
        return ""
    path = settings.state_dir / "metrics" / f"{server}-{port}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return str(path)


def rasa_server_environment(settings: Settings, port: int) -> dict[str, str]:
    """server_environment, and the Rasa server's workers with their metrics folder."""
    env = {**server_environment(settings), "SANIC_WORKERS": str(settings.rasa_workers)}
    counts = metrics_dir(settings, "rasa", port)
    # prometheus_client counts in files whenever the variable exists, even empty (then
    # in the working directory: the project's root filled with counter_<pid>.db files).
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if counts:
        env["PROMETHEUS_MULTIPROC_DIR"] = counts
    return env


def action_server_ports(settings: Settings) -> tuple[int, ...]:
    """The ports of the action servers to start: none when the Rasa servers run the
    actions themselves (ACTION_SERVER_URL=in-process:)."""
    return () if settings.actions_in_process else settings.action_ports


def start_servers(settings: Settings, model: Path, log_dir: Optional[Path] = None
                  ) -> list[subprocess.Popen]:
    """Start a Rasa server on each of the settings' Rasa ports (one by default), an action
    server on each of its action ports unless the Rasa servers run the actions (the
    default), and the console; return them once all answer.
    Their logs are actions.log, rasa.log (actions-2.log, rasa-2.log, ... past one)."""
    if settings.rasa_workers > 1 and not settings.lock_store_url:
        raise RuntimeError("RASA_WORKERS > 1 needs a lock store the workers share: "
                           "set LOCK_STORE_URL (an sqlite:/// file or redis://)")
    env = server_environment(settings)

    def spawn(name: str, args: list[str], server_env: Optional[dict] = None
              ) -> subprocess.Popen:
        output = None
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
            output = open(log_dir / f"{name}.log", "wb")
        return subprocess.Popen([sys.executable, "-m", *args], cwd=PROJECT_ROOT,
                                env=server_env or env,
                                stdout=output, stderr=subprocess.STDOUT if output else None,
                                start_new_session=True)

    def named(kind: str, index: int) -> str:
        return kind if index == 0 else f"{kind}-{index + 1}"

    def rasa_server(index: int, port: int) -> subprocess.Popen:
        # `rasa run` with the API token read from RASA_AUTH_TOKEN (integrations/rasa_server.py)
        return spawn(named("rasa", index), [
            "integrations.rasa_server", "--model", str(model), "--endpoints", "endpoints.yml",
            "--credentials", "credentials.yml", "--interface", settings.rasa_interface,
            "--port", str(port), "--enable-api", "--cors", "*"],
            rasa_server_environment(settings, port))

    def ready(port: int) -> str:  # each answers once all it needs does
        return f"http://127.0.0.1:{port}{READY_PATH}"

    first, *others = settings.rasa_ports
    # rasa_sdk with our health, metrics and logs (integrations/action_server.py), unless
    # the actions run inside the Rasa servers (in-process:, the embedded default).
    action_ports = action_server_ports(settings)
    processes = [spawn(named("actions", index), ["integrations.action_server", "--actions",
                                                 "actions", "--port", str(port)])
                 for index, port in enumerate(action_ports)]
    processes += [rasa_server(0, first), spawn("console", ["bot", "console", "serve"])]
    health = [ready(port) for port in (*action_ports, settings.console_port)]
    every_worker = 4 * settings.rasa_workers  # asked this many times in a row
    up = all(wait_until_up(url, processes) for url in health) \
        and wait_until_up(ready(first), processes, every_worker)
    if up and others:
        # The first Rasa server has created the tracker store's tables by now: servers
        # creating them at the same moment collide on PostgreSQL.
        processes += [rasa_server(index, port) for index, port in enumerate(others, 1)]
        up = all(wait_until_up(ready(port), processes, every_worker) for port in others)
    if not up:
        stopped = [f"{' '.join(p.args[2:4])} (exit {p.returncode})" for p in processes
                   if p.poll() is not None]
        stop_servers(processes)
        raise RuntimeError(f"a server did not start ({', '.join(stopped) or 'too slow'}); see "
                           "the output above" + (f" or the logs in {log_dir}" if log_dir else ""))
    return processes


def stop_servers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and a process manager's SIGTERM both stop everything cleanly,
    even where the shell started us with SIGINT ignored."""

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def action_location(settings: Settings) -> str:
    if settings.actions_in_process:
        return "inside the Rasa server (ACTION_SERVER_URL=in-process:)"
    return f"action server http://127.0.0.1:{settings.action_port}/webhook"


def run_assistant(app: ARApp, train_only: bool = False) -> int:
    _stop_on_signals()
    settings = app.settings
    prepare_ledger(app)
    model = ensure_model(settings)
    if train_only:
        return 0
    processes = start_servers(settings, model)
    print(
        "\nThe AR assistant is running:\n"
        f"  Rasa server      http://127.0.0.1:{settings.rasa_port}  "
        f"(REST channel: POST /webhooks/rest/webhook)\n"
        f"  web chat         http://127.0.0.1:{settings.rasa_port}/webhooks/webchat/\n"
        f"  Twilio webhook   {settings.public_base_url.rstrip('/')}/webhooks/twilio/webhook\n"
        f"  Slack events     {settings.public_base_url.rstrip('/')}/webhooks/slack/webhook\n"
        f"  Slack buttons    {settings.public_base_url.rstrip('/')}/webhooks/slack/interactive\n"
        f"  actions          {action_location(settings)}\n"
        f"  console          {settings.console_public_url.rstrip('/')}/  "
        "(add a user: python -m bot console add-user NAME --role admin)\n"
        f"  ledger database  {app.database.engine.url.render_as_string(hide_password=True)}\n"
        "Press Ctrl-C to stop.", flush=True)
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(1)
        print("A server stopped unexpectedly; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...")
        return 0
    finally:
        stop_servers(processes)
