"""Fixtures for channel transports that are tested without a whole platform: a migrated store and intake."""

from __future__ import annotations

import pytest
import redis

from frontdesk.intake import Intake
from frontdesk.metrics import Metrics
from frontdesk.store.db import make_engine, make_sessions, migrate


@pytest.fixture()
def store(tmp_path):
    """Sessions on a freshly migrated SQLite store."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    migrate(engine)
    return make_sessions(engine)


@pytest.fixture()
def intake(store, redis_url):
    """The real intake on that store and the session's Redis."""
    connection = redis.Redis.from_url(redis_url)
    return Intake(store, connection, Metrics(connection))
