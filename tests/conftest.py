"""Fixtures shared by every test layer: a ledger of demo data at a fixed business date."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Optional

import pytest

from bot.ledger.importer import DEMO_DATA, import_directory
from bot.ledger.schema import migrate
from bot.runtime.app import ARApp
from bot.settings import load_settings

BUSINESS_DATE = date(2026, 11, 23)
# A second ledger whose identifiers have none of the demo's shapes: numeric only,
# slashes, zero-padded, lower case (tests/ledgers/foreign_shapes/README.md).
FOREIGN_SHAPES = Path(__file__).resolve().parent / "ledgers" / "foreign_shapes"


# os.environ as each test module found it, put back when the module ends. Module
# fixtures patch it (provider settings, the servers' ports) with mock.patch.dict, which
# restores a whole snapshot; pytest 7 does not always tear module fixtures down in the
# reverse order of their setup, and a restore out of order brought one module's settings
# back for every module after it (an https PUBLIC_BASE_URL made the web chat's session
# cookie Secure over plain http, and the next module's visitors lost their sessions).
_module_environment: dict[str, dict[str, str]] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.module.__name__ not in _module_environment:
        _module_environment.clear()
        _module_environment[item.module.__name__] = dict(os.environ)


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    if nextitem is None or nextitem.module is not item.module:
        found = _module_environment.pop(item.module.__name__, None)
        if found is not None:
            os.environ.clear()
            os.environ.update(found)


def demo_settings(state_dir: Path, **overrides: str):
    env = {"AR_STATE_DIR": str(state_dir), "AR_TODAY": BUSINESS_DATE.isoformat(), **overrides}
    return load_settings(env)


def ledger_app(state_dir: Path, folder: Path) -> ARApp:
    """A migrated ledger in state_dir holding the CSV export in folder."""
    app = ARApp(demo_settings(state_dir))
    migrate(app.database)
    with app.session() as session:
        import_directory(session, folder)
    return app


@pytest.fixture
def demo_app(tmp_path) -> ARApp:
    """A migrated ledger holding the demo data, today being 2026-11-23."""
    return ledger_app(tmp_path, DEMO_DATA)


@pytest.fixture
def foreign_app(tmp_path) -> ARApp:
    """A migrated ledger holding tests/ledgers/foreign_shapes, today being 2026-11-23."""
    return ledger_app(tmp_path, FOREIGN_SHAPES)


@pytest.fixture(scope="module")
def ledger_folder() -> Optional[Path]:
    """The CSV export the real servers' ledger (the `assistant` fixture) is loaded from;
    None: the demo ledger, loaded by prepare_ledger as `make run` loads it. A module
    overrides this fixture to talk to another ledger (tests/ledgers/...)."""
    return None


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model for the current data and config: trained once, reused while unchanged.
    AR_TEST_MODEL names another model file (while working on code, not on training data)."""
    from bot.runtime.runner import ensure_model

    if os.environ.get("AR_TEST_MODEL"):
        return Path(os.environ["AR_TEST_MODEL"])
    return ensure_model(load_settings({}))


@pytest.fixture(scope="module")
def server_settings() -> dict[str, str]:
    """Settings a test module changes for the servers it starts (RASA_WORKERS, ...)."""
    return {}
