"""Fixtures shared by every test layer: a ledger of demo data at a fixed business date."""

from __future__ import annotations

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
    import os

    from bot.runtime.runner import ensure_model

    if os.environ.get("AR_TEST_MODEL"):
        return Path(os.environ["AR_TEST_MODEL"])
    return ensure_model(load_settings({}))


@pytest.fixture(scope="module")
def server_settings() -> dict[str, str]:
    """Settings a test module changes for the servers it starts (RASA_WORKERS, ...)."""
    return {}
