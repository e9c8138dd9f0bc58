"""The ledger's schema history: a database made before bot/ had rooms still migrates."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from bot.db import Database
from bot.ledger.figures import account_summary
from bot.ledger.models import Customer
from bot.ledger.schema import MIGRATIONS_DIR, migrate
from bot.settings import PROJECT_ROOT

# Made by the code before the move (bot/db.py migrating bot/migrations, then the demo import),
# kept as its SQL dump so that no database file is tracked.
BEFORE_ROOMS = PROJECT_ROOT / "tests" / "fixtures" / "ledger_before_rooms.sql"


def test_a_ledger_made_by_the_previous_layout_migrates_and_keeps_its_data(tmp_path, today):
    path = tmp_path / "ar.db"
    made_before = sqlite3.connect(path)
    made_before.executescript(BEFORE_ROOMS.read_text())
    made_before.close()
    database = Database(f"sqlite:///{path}")
    migrate(database)
    with database.session() as session:
        head = session.execute(text("select version_num from alembic_version")).scalar_one()
        acme = session.scalars(select(Customer).where(Customer.account_number == "ACME-001")).one()
        summary = account_summary(acme, today)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert head == ScriptDirectory.from_config(config).get_current_head()
    assert summary.open_total > Decimal("0") and summary.open_invoice_count > 0
    database.engine.dispose()
