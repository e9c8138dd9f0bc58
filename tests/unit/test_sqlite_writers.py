"""Writers on one SQLite file take turns through a lock file (bot/db.py): a
transaction holds the turn from its first write to its commit or rollback, reads never
take it, and a writer waiting for it gets it when the last one is done."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from bot.db import one_writer_at_a_time, tune_sqlite_connection


def engine_on(path, busy_timeout: float):
    engine = create_engine(f"sqlite:///{path}", future=True,
                           connect_args={"check_same_thread": False,
                                         "timeout": busy_timeout})
    event.listen(engine, "connect", tune_sqlite_connection)
    one_writer_at_a_time(engine, str(path))
    return engine


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "ar.db"
    engine = engine_on(path, busy_timeout=0.05)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE payments (id INTEGER PRIMARY KEY, amount INT)"))
    yield path, engine
    engine.dispose()


def turn_is_free(path) -> bool:
    """Whether another program could take the writers' turn now."""
    fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_a_transaction_holds_the_turn_from_its_first_write_to_its_commit(database):
    path, engine = database
    with engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM payments")).scalar()
        assert turn_is_free(path)  # reading takes no turn
        connection.execute(text("INSERT INTO payments (amount) VALUES (10)"))
        assert not turn_is_free(path)
        connection.commit()
        assert turn_is_free(path)


def test_a_rollback_or_an_error_gives_the_turn_up(database):
    path, engine = database
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO payments (amount) VALUES (10)"))
        connection.rollback()
    assert turn_is_free(path)
    with pytest.raises(ZeroDivisionError):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO payments (amount) VALUES (20)"))
            raise ZeroDivisionError
    assert turn_is_free(path)
    with engine.connect() as connection:  # returned to the pool without an end
        connection.execute(text("INSERT INTO payments (amount) VALUES (30)"))
    assert turn_is_free(path)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM payments")).scalar() == 0


def test_a_writer_waits_its_turn_instead_of_failing_on_a_locked_database(database):
    """SQLite alone gives up after its busy timeout (50 ms here) while another
    transaction writes; in turns the second writer waits and both payments are kept."""
    path, engine = database
    second = engine_on(path, busy_timeout=0.05)
    writing, finish = threading.Event(), threading.Event()
    failures: list[Exception] = []

    def first_writer() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO payments (amount) VALUES (1)"))
            writing.set()
            finish.wait(5)

    def second_writer() -> None:
        try:
            with second.begin() as connection:
                connection.execute(text("INSERT INTO payments (amount) VALUES (2)"))
        except OperationalError as error:
            failures.append(error)

    holder = threading.Thread(target=first_writer)
    holder.start()
    assert writing.wait(5)
    waiter = threading.Thread(target=second_writer)
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive()  # waiting for its turn, well past SQLite's 50 ms
    finish.set()
    holder.join(5)
    waiter.join(5)
    assert failures == []
    with engine.connect() as connection:
        amounts = connection.execute(text("SELECT amount FROM payments ORDER BY id"))
        assert [row[0] for row in amounts] == [1, 2]
    second.dispose()


def test_a_thread_writing_on_two_connections_at_once_fails_rather_than_waiting_for_itself(
        database):
    path, engine = database
    with engine.begin() as outer:
        outer.execute(text("INSERT INTO payments (amount) VALUES (1)"))
        with pytest.raises(OperationalError, match="locked"):
            with engine.begin() as inner:
                inner.execute(text("INSERT INTO payments (amount) VALUES (2)"))
    assert turn_is_free(path)
