"""Engine, sessions and migrations for the case store (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_SECONDS = 30.0  # how long a SQLite statement waits for another process's lock
BEGIN_POLL_SECONDS = 0.001
READ_ONLY = "frontdesk_read_only"  # the execution option of read_session's engine
log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_SECONDS, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "commit", _sqlite_end_read)
        event.listen(engine, "rollback", _sqlite_end_read)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(connection, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, issue BEGIN: savepoints then work
    # and every transaction takes the write lock up front (BEGIN IMMEDIATE), so
    # two writers wait for each other instead of failing with "database is locked".
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode is durable against application crashes; a power cut may lose the last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """Take the write lock, polling every millisecond while another process holds it.

    SQLite's own busy handler sleeps longer and longer between tries (up to
    100 ms), so with two workers the waiting one kept missing the moment the
    lock came free and the other took it again: page and acknowledgment p99
    over a second at 500 messages/s. The busy timeout stays for every other
    statement.
    """
    raw = connection.connection.dbapi_connection
    if connection.get_execution_options().get(READ_ONLY):
        raw.execute("PRAGMA query_only=ON")  # a write in a read session fails instead of taking the lock late
        raw.execute("BEGIN")
        return
    raw.execute("PRAGMA busy_timeout=0")
    deadline = time.monotonic() + BUSY_SECONDS
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(BEGIN_POLL_SECONDS)
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")


def _sqlite_end_read(connection) -> None:
    if connection.get_execution_options().get(READ_ONLY):
        connection.connection.dbapi_connection.execute("PRAGMA query_only=OFF")


def read_session(sessions: sessionmaker[Session]) -> Session:
    """A session that only reads. On SQLite it begins a plain (deferred) transaction, a snapshot of the WAL,
    instead of BEGIN IMMEDIATE: it neither waits for a writer nor holds one up (a dashboard list or a worker's
    read-ahead used to take the only write lock for as long as it read). On PostgreSQL it is READ ONLY."""
    # 10 µs to make; not cached, since the read-only engine would keep its engine and pool alive.
    return sessions(bind=sessions.kw["bind"].execution_options(**{READ_ONLY: True, "postgresql_readonly": True}))


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to the engine; objects stay usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs our migrations against `engine`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, lock=None) -> None:
    """Bring the schema up to the newest version; safe to call on every start.

    `lock` (a Redis lock, say) keeps processes that start together from
    migrating at the same time.
    """
    if lock is None:
        command.upgrade(alembic_config(engine), "heads")
        return
    with lock:
        command.upgrade(alembic_config(engine), "heads")


def migration_lock(redis_connection):
    """The Redis lock every process takes to migrate the store at start."""
    return redis_connection.lock("frontdesk:lock:migrate", timeout=300, blocking_timeout=300)
