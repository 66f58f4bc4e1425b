"""SQLite's write lock: a second writer waits for the first (polling), then commits; nothing fails with
"database is locked", and statements inside a transaction keep the long busy timeout."""

from __future__ import annotations

import threading

from sqlalchemy import text

from frontdesk.store.db import BUSY_SECONDS, make_engine


def test_a_second_writer_waits_for_the_first_and_both_commit(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (who TEXT)"))
    holding, release = threading.Event(), threading.Event()

    def first() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO notes VALUES ('first')"))
            holding.set()
            release.wait(10)

    writer = threading.Thread(target=first)
    writer.start()
    holding.wait(10)
    threading.Timer(0.3, release.set).start()  # the first writer lets go while the second is waiting
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('second')"))
        busy = connection.execute(text("PRAGMA busy_timeout")).scalar()
    writer.join(10)

    with engine.connect() as connection:
        assert connection.execute(text("SELECT who FROM notes ORDER BY rowid")).scalars().all() == ["first", "second"]
    assert busy == int(BUSY_SECONDS * 1000)
