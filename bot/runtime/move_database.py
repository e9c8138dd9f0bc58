"""`python -m bot move-database --to URL`: an embedded deployment's ledger and transcripts
(the tracker store's events), moved from SQLite into PostgreSQL, counted before and after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Table, func, inspect, select, text
from sqlalchemy.engine import Engine, make_url

from bot.console import tracker_events
from bot.db import Database, engine_for
from bot.ledger.models import Base
from bot.ledger.schema import migrate

BATCH_ROWS = 2000


class MoveRefused(Exception):
    """Nothing was moved: the reason says what to do."""


@dataclass(frozen=True)
class Moved:
    ledger: dict[str, int]
    transcripts: int

    def summary(self) -> str:
        rows = sum(self.ledger.values())
        tables = ", ".join(f"{name} {count}" for name, count in self.ledger.items() if count)
        return (f"ledger: {rows} rows in {len(self.ledger)} tables ({tables})\n"
                f"transcripts: {self.transcripts} events")


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table))


def _ledger_tables(source: Engine) -> list[Table]:
    """The ledger's tables the source has, parents before children."""
    present = set(inspect(source).get_table_names())
    return [t for t in Base.metadata.sorted_tables if t.name in present]


def _copy(source: Engine, target: Engine, table: Table) -> None:
    with source.connect() as reading, target.begin() as writing:
        rows = reading.execution_options(stream_results=True).execute(select(table))
        while batch := rows.fetchmany(BATCH_ROWS):
            writing.execute(table.insert(), [dict(row._mapping) for row in batch])
        if target.dialect.name == "postgresql" and "id" in table.c:
            # Copied ids were given explicitly: new rows continue after the largest.
            writing.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))


def _non_empty(engine: Engine, tables: list[Table]) -> list[str]:
    present = set(inspect(engine).get_table_names())
    return [t.name for t in tables if t.name in present and _count(engine, t)]


def _empty(engine: Engine, tables: list[Table]) -> None:
    present = set(inspect(engine).get_table_names())
    with engine.begin() as connection:
        for table in reversed(tables):
            if table.name in present:
                connection.execute(table.delete())


def move_database(ledger_from: str, transcripts_from: str, ledger_to: str,
                  transcripts_to: Optional[str] = None, replace: bool = False) -> Moved:
    """Copy the ledger and the transcripts into the target databases (the transcripts
    into the ledger's target unless told otherwise); refuses a target that holds any of
    them unless `replace`, and checks every count after."""
    transcripts_to = transcripts_to or ledger_to
    for url in (ledger_from, transcripts_from):
        if make_url(url).get_backend_name() != "sqlite":
            raise MoveRefused(f"the current databases must be SQLite, not "
                              f"{make_url(url).render_as_string(hide_password=True)}")
    source, tracker_source = engine_for(ledger_from), engine_for(transcripts_from)
    ledger = _ledger_tables(source)
    target, tracker_target = Database(ledger_to), engine_for(transcripts_to)
    tracker_events.ensure_table(tracker_source)
    held = _non_empty(target.engine, ledger) + _non_empty(tracker_target,
                                                          [tracker_events.events])
    if held and not replace:
        raise MoveRefused(f"the target already holds rows ({', '.join(held)}); nothing "
                          "was moved. Point --to at empty databases, or add --replace to "
                          "delete what they hold first")
    migrate(target)
    tracker_events.ensure_table(tracker_target)
    _empty(target.engine, ledger)
    _empty(tracker_target, [tracker_events.events])
    for table in ledger:
        _copy(source, target.engine, table)
    _copy(tracker_source, tracker_target, tracker_events.events)
    counts = {t.name: _count(source, t) for t in ledger}
    moved = {t.name: _count(target.engine, t) for t in ledger}
    transcripts = _count(tracker_source, tracker_events.events)
    if moved != counts or _count(tracker_target, tracker_events.events) != transcripts:
        wrong = [n for n in counts if moved[n] != counts[n]] or ["events"]
        raise MoveRefused(f"the counts differ after the move ({', '.join(wrong)}); the "
                          "SQLite databases are untouched: run it again with --replace")
    return Moved(counts, transcripts)
