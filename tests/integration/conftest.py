"""The real thing: the servers started as `make run` starts them (the actions inside the
Rasa server; an action server of its own for a module that asks for one), a
ledger in SQLite (one per test module), at the demo business date. The ledger is the demo
one unless a module overrides the `ledger_folder` fixture (tests/conftest.py) with another
CSV export."""

from __future__ import annotations

import os
import secrets
from unittest import mock

import pytest

from bot.ledger.importer import import_directory
from bot.ledger.schema import migrate
from bot.runtime.app import ARApp
from bot.runtime.runner import prepare_ledger, start_servers, stop_servers
from bot.settings import load_settings
from tests.conftest import BUSINESS_DATE
from tests.fakes.ports import free_port

# The processes behind each running `assistant` (by Rasa port), for tests that stop and
# restart one of them (test_faults.py): [actions, rasa, console] with an action server,
# [rasa, console] with the actions inside the Rasa server (the default).
SERVERS: dict[int, list] = {}
# server_settings of a module that needs an action server of its own (to stop, kill or
# ask it): ACTION_SERVER_URL pointing at the one the runner starts on ACTION_SERVER_PORT.
WITH_ACTION_SERVER = {"ACTION_SERVER_URL": "http://127.0.0.1:{action_port}/webhook"}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, trained_model, ledger_folder, server_settings):
    state = tmp_path_factory.mktemp("state")
    action_port = free_port()
    env = {"AR_STATE_DIR": str(state), "AR_TODAY": BUSINESS_DATE.isoformat(),
           "RASA_PORT": str(free_port()), "ACTION_SERVER_PORT": str(action_port),
           "CONSOLE_PORT": str(free_port()),
           # Tests talk faster than anyone types: no rate limit unless the module sets
           # one (test_faults.py).
           "RATE_LIMIT_MESSAGES": os.environ.get("RATE_LIMIT_MESSAGES", "0"),
           # Its own token: a secret no other process on the machine could show.
           "RASA_AUTH_TOKEN": "integration-" + secrets.token_urlsafe(16),
           **{name: value.replace("{action_port}", str(action_port))
              for name, value in server_settings.items()}}
    with mock.patch.dict(os.environ, env):
        settings = load_settings()
        app = ARApp(settings)
        if ledger_folder is not None:
            migrate(app.database)
            with app.session() as session:
                import_directory(session, ledger_folder)
        prepare_ledger(app)  # a ledger already holding customers is kept as it is
        processes = start_servers(settings, trained_model, log_dir=state / "logs")
        SERVERS[settings.rasa_port] = processes
        try:
            yield settings
        finally:
            stop_servers(processes)


@pytest.fixture(scope="module")
def servers(assistant) -> list:
    """The `assistant`'s processes (see SERVERS); a test that replaces one
    (a restart) puts the new one in its place, and the teardown stops that one."""
    return SERVERS[assistant.rasa_port]
