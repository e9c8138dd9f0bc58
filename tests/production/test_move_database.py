"""Moving an embedded deployment to PostgreSQL with one command: a customer talks to the
assistant on SQLite (as `make run` has it), `python -m bot move-database` moves the ledger
and the transcripts, and the assistant started on PostgreSQL carries on the same
conversation, which a manager finds in the console."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

import pytest
import requests

from bot.runtime.app import ARApp
from bot.runtime.runner import prepare_ledger, start_servers, stop_servers
from bot.settings import PROJECT_ROOT, load_settings
from tests.conftest import BUSINESS_DATE
from tests.fakes.ports import free_port
from tests.integration.chat import visitor

pytestmark = pytest.mark.servers


def running(env: dict, model: Path, state: Path):
    with mock.patch.dict(os.environ, env):
        settings = load_settings()
        prepare_ledger(ARApp(settings))
        return settings, start_servers(settings, model, log_dir=state / "logs")


def move(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "move-database", *args],
                          env={**os.environ, **env}, cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=300)


def test_an_embedded_deployment_moves_to_postgresql_and_its_conversation_carries_on(
        postgres, trained_model):
    state = Path(tempfile.mkdtemp(prefix="ar-move-"))
    env = {"AR_STATE_DIR": str(state), "AR_TODAY": BUSINESS_DATE.isoformat(),
           "RASA_PORT": str(free_port()), "ACTION_SERVER_PORT": str(free_port()),
           "CONSOLE_PORT": str(free_port()),
           "RASA_AUTH_TOKEN": "move-" + secrets.token_urlsafe(16)}
    try:
        settings, processes = running(env, trained_model, state)
        try:
            jane = visitor(settings)
            jane.says("what do we owe?")
            jane.says("ACME-001")
            assert "verified for Acme Corporation" in jane.says("INV-2026-0101")
            before = jane.transcript()
        finally:
            stop_servers(processes)

        ledger, transcripts = postgres.create_database("moved_ar"), \
            postgres.create_database("moved_transcripts")
        without_password = [re.sub(r":[^:@/]+@", "@", url) for url in (ledger, transcripts)]
        secret = {"PGPASSWORD": postgres.password}
        refused = move(env, "--to", ledger)
        assert refused.returncode == 2 and "PGPASSWORD" in refused.stderr
        moved = move({**env, **secret}, "--to", without_password[0],
                     "--transcripts-to", without_password[1])
        assert moved.returncode == 0, moved.stderr
        assert f"transcripts: {len(before)} events" in moved.stdout  # counted in the target
        assert re.search(r"customers \d+", moved.stdout), moved.stdout
        again = move({**env, **secret}, "--to", without_password[0],
                     "--transcripts-to", without_password[1])
        assert again.returncode == 1 and "already holds rows" in again.stderr
        print(f"\n{moved.stdout}")

        on_postgres = {**env, "AR_DATABASE_URL": ledger, "TRACKER_STORE_URL": transcripts}
        settings, processes = running(on_postgres, trained_model, state)
        try:
            jane.settings = settings
            assert jane.transcript()[:len(before)] == before
            reply = jane.says("what do we owe?")  # verified before the move: no new check
            assert "$16,225.50 open" in reply and "confirm who you are" not in reply

            console_env = {**os.environ, **on_postgres}
            added = subprocess.run([sys.executable, "-m", "bot", "console", "add-user", "maya",
                                    "--role", "manager"], input="maya-moved-password-1\n",
                                   text=True, env=console_env, cwd=PROJECT_ROOT,
                                   capture_output=True, timeout=120)
            assert added.returncode == 0, added.stderr
            url = f"http://127.0.0.1:{settings.console_port}"
            http = requests.Session()
            token = re.search(r'name="csrf" value="([^"]+)"',
                              http.get(url + "/login").text).group(1)
            http.post(url + "/login", data={"csrf": token, "username": "maya",
                                            "password": "maya-moved-password-1"})
            found = http.get(url + "/conversations", params={"customer": "ACME-001"}).text
            assert found.count("<tr data-conversation") >= 1
            page = http.get(url + f"/conversations/by-id/{jane.sender}").text
            assert "INV-2026-0101" in page and "what do we owe?" in page
        finally:
            stop_servers(processes)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def newest_migration() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.ledger.schema import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def test_migrate_builds_every_migration_on_postgresql_with_the_consoles_search_index(
        postgres, tmp_path):
    import psycopg2

    url = postgres.create_database("migrated")
    done = subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=PROJECT_ROOT,
                          env={**os.environ, "AR_STATE_DIR": str(tmp_path),
                               "AR_DATABASE_URL": url},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "ledger schema is up to date" in done.stdout and postgres.password not in done.stdout
    connection = psycopg2.connect(postgres.dsn("migrated"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT version_num FROM alembic_version")
        versions = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexdef ILIKE '%to_tsvector%'")
        search = [row[0] for row in cursor.fetchall()]
    connection.close()
    assert versions == [newest_migration()]
    assert len(search) == 1 and "USING gin" in search[0]
