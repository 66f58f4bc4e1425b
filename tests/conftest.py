"""Fixtures shared by the whole suite: a real Redis per session, SQLite or PostgreSQL stores,
a running platform, loopback HTTP receivers. See tests/harness.py."""

from __future__ import annotations

import uuid

import pytest
import redis

from frontdesk.redis_server import EmbeddedRedis
from tests.harness import LoopThread, Platform, Receiver, base_settings

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """The product's own embedded redis-server, started once for the session on a random port."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """The session's Redis, emptied for this test."""
    redis.Redis.from_url(redis_server.url).flushall()
    return redis_server.url


@pytest.fixture(scope="session")
def loop_thread():
    """An event loop in a thread for servers that synchronous tests talk to."""
    loop = LoopThread()
    yield loop
    loop.close()


def _postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    """Whether a PostgreSQL server answers on 127.0.0.1:5432."""
    return _postgres_available()


@pytest.fixture
def pg_url(postgres_available):
    """A fresh, empty PostgreSQL database for this test (skipped, saying so, when none runs)."""
    if not postgres_available:
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432: PostgreSQL cases skipped")
    import psycopg

    name = f"frontdesk_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each store the product supports: SQLite in tmp_path, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def make_settings(tmp_path, redis_url):
    """Build test settings; keyword arguments are merged over the test defaults."""
    def make(**overrides):
        return base_settings(tmp_path, overrides.pop("redis_url", redis_url), overrides.pop("database_url", None),
                             **overrides)
    return make


@pytest.fixture
def make_platform(make_settings, loop_thread):
    """Start platforms with custom settings; all are stopped after the test."""
    started = []

    def make(settings=None, **overrides):
        platform = Platform(settings or make_settings(**overrides), loop_thread).start()
        started.append(platform)
        return platform

    yield make
    for platform in started:
        platform.stop()


@pytest.fixture
def platform(make_platform):
    """A platform on test defaults (SQLite, the session's Redis, one API client without callback)."""
    return make_platform()


@pytest.fixture
def receiver(loop_thread):
    """A loopback HTTP receiver recording every request."""
    return Receiver().start(loop_thread)
