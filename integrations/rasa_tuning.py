"""What the Rasa server pays on every turn and need not (measured with py-spy, README
"Speed"): jsonschema re-checking its own schema before checking each action server answer
(rasa#11717), and, with an SQLite tracker store, a new connection for every read and write
of a tracker and an fsync on every commit."""

from __future__ import annotations

import sqlite3

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core import tracker_store
from rasa.core.actions.action import RemoteAction
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

from bot.db import tune_sqlite_connection


def _action_result_validator():
    schema = RemoteAction.action_response_format_spec()
    validator = validator_for(schema)
    validator.check_schema(schema)  # once, not once per action call
    return validator(schema)


def install() -> None:
    """Check action answers against a validator built once; tune SQLite tracker stores."""
    validator = _action_result_validator()

    def validate_action_result(_action, result) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += ". The action server's answer does not have the format Rasa expects."
        raise error

    RemoteAction._validate_action_result = validate_action_result

    rasa_engine_kwargs = tracker_store.create_engine_kwargs

    def engine_kwargs(url):
        if make_url(url).get_backend_name() != "sqlite":
            return rasa_engine_kwargs(url)
        return {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}

    tracker_store.create_engine_kwargs = engine_kwargs
    if not event.contains(Engine, "connect", tune_sqlite_connections):
        event.listen(Engine, "connect", tune_sqlite_connections)


def tune_sqlite_connections(dbapi_connection, record) -> None:
    """Every new SQLite connection of the process, the tracker store's included."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        tune_sqlite_connection(dbapi_connection, record)

