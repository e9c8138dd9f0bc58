"""The console as `make run` starts it (`python -m bot console serve`, its own process)
over the conversations of tests/console_data, with one user per role added through
`python -m bot console add-user` (password on stdin)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from tests import console_data
from tests.fakes.ports import free_port

USERS = {"ada": ("admin", "ada-correct-horse-1"), "maya": ("manager", "maya-battery-staple-2"),
         "cole": ("collector", "cole-tr0ub4dor-and-3")}



@dataclass
class RunningConsole:
    url: str
    env: dict
    state: Path
    nlu_dir: Path
    stories_dir: Path

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot", "console", *args], input=stdin,
                              capture_output=True, text=True, env=self.env, cwd=PROJECT_ROOT,
                              timeout=120)


def start_console(state: Path) -> tuple[RunningConsole, subprocess.Popen]:
    console_data.build(state)
    nlu_dir, stories_dir = state / "data" / "nlu", state / "stories"
    for language in ("en", "es", "fr", "de", "pt"):  # a copy of the real training data
        (nlu_dir / language).mkdir(parents=True)
        for source in (PROJECT_ROOT / "data" / "nlu" / language).glob("*.yml"):
            (nlu_dir / language / source.name).write_text(source.read_text())
    port = free_port()
    env = {**os.environ, "AR_STATE_DIR": str(state), "AR_TODAY": console_data.TODAY.isoformat(),
           "CONSOLE_PORT": str(port), "CONSOLE_NLU_DATA_DIR": str(nlu_dir),
           "CONSOLE_TEST_STORIES_DIR": str(stories_dir), "CONSOLE_MAX_LOGIN_FAILURES": "3",
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    console = RunningConsole(f"http://127.0.0.1:{port}", env, state, nlu_dir, stories_dir)
    for name, (role, password) in USERS.items():
        added = console.cli("add-user", name, "--role", role, stdin=password + "\n")
        assert added.returncode == 0, added.stderr
    process = subprocess.Popen([sys.executable, "-m", "bot", "console", "serve"], cwd=PROJECT_ROOT,
                               env=env, stdout=open(state / "console.log", "wb"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(console.url + "/health", timeout=2):
                return console, process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("the console did not start:\n" + (state / "console.log").read_text())


@pytest.fixture(scope="module")
def running_console(tmp_path_factory):
    console, process = start_console(tmp_path_factory.mktemp("console"))
    try:
        yield console
    finally:
        process.terminate()
        process.wait(timeout=20)
