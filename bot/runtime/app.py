"""The application's entry object: settings, the ledger database and the clock together."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from typing import Iterator, Optional

from sqlalchemy.orm import Session

from bot import clock
from bot.db import Database
from bot.settings import Settings, get_settings


class ARApp:
    def __init__(self, settings: Optional[Settings] = None):
        self.settings = settings or get_settings()
        self.database = Database(self.settings.ar_database_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.database.session() as session:
            yield session

    def today(self) -> date:
        return clock.today(self.settings.today_override)

    def now(self) -> datetime:
        return clock.now()
