"""The ledger's schema: created or upgraded to the newest Alembic migration."""

from __future__ import annotations

from pathlib import Path

from bot.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def migrate(database: Database) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
