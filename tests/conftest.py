"""Fixtures shared by every test layer: a ledger of demo data at a fixed business date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.ledger.importer import DEMO_DATA, import_directory
from bot.ledger.schema import migrate
from bot.runtime.app import ARApp
from bot.settings import load_settings

BUSINESS_DATE = date(2026, 11, 23)


def demo_settings(state_dir: Path, **overrides: str):
    env = {"AR_STATE_DIR": str(state_dir), "AR_TODAY": BUSINESS_DATE.isoformat(), **overrides}
    return load_settings(env)


@pytest.fixture
def demo_app(tmp_path) -> ARApp:
    """A migrated ledger holding the demo data, today being 2026-11-23."""
    app = ARApp(demo_settings(tmp_path))
    migrate(app.database)
    with app.session() as session:
        import_directory(session, DEMO_DATA)
    return app


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model for the current data and config: trained once, reused while unchanged.
    AR_TEST_MODEL names another model file (while working on code, not on training data)."""
    import os

    from bot.runtime.runner import ensure_model

    if os.environ.get("AR_TEST_MODEL"):
        return Path(os.environ["AR_TEST_MODEL"])
    return ensure_model(load_settings({}))
