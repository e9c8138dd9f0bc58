"""Unit-test fixtures: a fresh SQLite ledger per test, settings, a fixed business date,
and small CSV ledgers written by each test and loaded through the real importer."""

from __future__ import annotations

import shutil
import textwrap
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

import pytest

from bot.conversation.identity import Caller, identify
from bot.db import Database
from bot.ledger.importer import DEMO_DATA, ImportReport, import_directory
from bot.ledger.schema import migrate
from bot.settings import load_settings

TODAY = date(2026, 11, 23)  # a Monday

@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory) -> Path:
    """One migrated, empty ledger file; each test gets its own copy (migrating from
    scratch takes ~0.1 s, copying a few ms)."""
    path = tmp_path_factory.mktemp("template") / "ar.db"
    database = Database(f"sqlite:///{path}")
    migrate(database)
    database.engine.dispose()  # closing its connections folds the write-ahead log in
    return path


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory, _migrated_template) -> Path:
    """A ledger file holding the demo data, imported once through the real importer."""
    path = tmp_path_factory.mktemp("demo-template") / "ar.db"
    shutil.copy(_migrated_template, path)
    database = Database(f"sqlite:///{path}")
    with database.session() as session:
        import_directory(session, DEMO_DATA)
    database.engine.dispose()
    return path


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def now() -> datetime:
    """Wall-clock now: attempts and verifications are timestamped with the real time."""
    return datetime.now(timezone.utc)


@pytest.fixture
def settings(tmp_path):
    return load_settings({"AR_STATE_DIR": str(tmp_path)})


@pytest.fixture
def db(tmp_path, _migrated_template) -> Database:
    """A fresh, empty, migrated ledger for this test only."""
    path = tmp_path / "ar.db"
    shutil.copy(_migrated_template, path)
    database = Database(f"sqlite:///{path}")
    migrate(database)  # already at head: must be a no-op
    yield database
    database.engine.dispose()


@pytest.fixture
def demo_db(tmp_path, _demo_template) -> Database:
    """A fresh ledger holding bot/ledger/demo_data, for this test only."""
    path = tmp_path / "ar.db"
    shutil.copy(_demo_template, path)
    database = Database(f"sqlite:///{path}")
    migrate(database)
    yield database
    database.engine.dispose()


@pytest.fixture
def write_csvs(tmp_path) -> Callable[..., Path]:
    """write_csvs({"customers.csv": text, ...}) -> a folder holding exactly those files.
    Text is dedented, so tests may indent their CSV."""
    counter = {"n": 0}

    def write(files: dict[str, str]) -> Path:
        counter["n"] += 1
        folder = tmp_path / f"export{counter['n']}"
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return folder

    return write


@pytest.fixture
def load_ledger(db, write_csvs) -> Callable[..., ImportReport]:
    """Write the given CSV files and import them into this test's ledger."""

    def load(files: dict[str, str]) -> ImportReport:
        folder = write_csvs(files)
        with db.session() as session:
            return import_directory(session, folder)

    return load


@pytest.fixture
def phone_caller() -> Callable[..., Caller]:
    """phone_caller(session, "+1...") -> the caller an SMS from that phone is identified
    as; fails the test when nobody is."""

    def find(session, phone: str) -> Caller:
        caller = identify(session, phone, "twilio", datetime.now(timezone.utc))
        assert caller is not None, f"no active contact with phone {phone}"
        return caller

    return find


@pytest.fixture
def jane(demo_db, phone_caller) -> Caller:
    """Jane Doe of Acme Corporation (ACME-001), texting from her phone on file."""
    with demo_db.session() as session:
        return phone_caller(session, "+14155550101")
