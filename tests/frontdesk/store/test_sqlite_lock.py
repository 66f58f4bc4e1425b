"""SQLite's write lock: a second writer waits for the first (polling), then commits; nothing fails with
"database is locked", and statements inside a transaction keep the long busy timeout. A read session takes
no lock at all."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from frontdesk.store.db import BUSY_SECONDS, make_engine, make_sessions, read_session


class HeldWrite:
    """A writer on another thread that inserts `who` and holds its transaction open until `release()`."""

    def __init__(self, engine, who: str):
        self.holding, self.released = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._write, args=(engine, who))
        self.thread.start()
        self.holding.wait(10)

    def _write(self, engine, who: str) -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO notes VALUES (:who)"), {"who": who})
            self.holding.set()
            self.released.wait(10)

    def release(self) -> None:
        self.released.set()
        self.thread.join(10)


def test_a_second_writer_waits_for_the_first_and_both_commit(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (who TEXT)"))
    first = HeldWrite(engine, "first")
    threading.Timer(0.3, first.released.set).start()  # the first writer lets go while the second is waiting
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('second')"))
        busy = connection.execute(text("PRAGMA busy_timeout")).scalar()
    first.release()

    with engine.connect() as connection:
        assert connection.execute(text("SELECT who FROM notes ORDER BY rowid")).scalars().all() == ["first", "second"]
    assert busy == int(BUSY_SECONDS * 1000)


def test_a_read_session_neither_waits_for_a_writer_nor_may_write(database_url):
    """A dashboard list or a worker's read-ahead reads a snapshot while a writer holds SQLite's only write lock
    (it used to take that lock itself); a write in it fails at once, on SQLite and PostgreSQL alike."""
    engine = make_engine(database_url)
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        session.execute(text("CREATE TABLE notes (who TEXT)"))
        session.execute(text("INSERT INTO notes VALUES ('before')"))
    writer = HeldWrite(engine, "uncommitted")
    try:
        with read_session(sessions) as session:
            assert session.execute(text("SELECT who FROM notes")).scalars().all() == ["before"]
            with pytest.raises(DBAPIError):
                session.execute(text("INSERT INTO notes VALUES ('from a read')"))
        assert writer.thread.is_alive()  # the writer still holds its transaction: the read did not wait for it
    finally:
        writer.release()
    with sessions.begin() as session:  # the pooled connection writes again afterwards
        session.execute(text("INSERT INTO notes VALUES ('after')"))
    with read_session(sessions) as session:
        assert session.execute(text("SELECT who FROM notes ORDER BY who")).scalars().all() == [
            "after", "before", "uncommitted"]
    engine.dispose()
