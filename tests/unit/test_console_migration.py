"""Migration 0003_console: its tables and its full-text index come and go with it."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from bot.db import Database
from bot.ledger.schema import MIGRATIONS_DIR, migrate


def test_the_console_migration_goes_down_and_up_again(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'ar.db'}")
    migrate(database)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    assert not [t for t in inspect(database.engine).get_table_names() if t.startswith("console")]
    migrate(database)
    assert {"console_users", "console_message_fts"} <= set(inspect(database.engine).get_table_names())
