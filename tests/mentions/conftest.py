"""A platform fed through the fake X API with a replayed fixture stream, for the mentions view tests."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from frontdesk.mentions.store import Mention
from tests.fakes.x_api import FakeXApi
from tests.mentions import replay


@pytest.fixture()
def feed_platform(make_platform):
    """`feed(tweets, **settings)`: serve the tweets from a fake X API, start a platform polling it, wait until all are indexed."""
    servers = []

    def feed(tweets: list[dict], **overrides):
        fake = FakeXApi()
        fake.add_page(replay.page(tweets))
        server = fake.serve().__enter__()
        servers.append(server)
        platform = make_platform(
            channels={"x": {"enabled": True, "api_base_url": server.url, "poll_interval": "0.2s"}},
            outbound={"x": {"api_base_url": server.url, "hourly_cap": 0}},
            environ={"X_BEARER_TOKEN": "read", "X_ACCESS_TOKEN": "write"}, **overrides)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            platform.work()
            with platform.services.sessions() as session:
                if session.scalar(select(func.count(Mention.id))) >= len(tweets):
                    return platform
            time.sleep(0.1)
        raise AssertionError(f"{len(tweets)} mentions were not indexed within 60 s")

    yield feed
    for server in servers:
        server.__exit__(None, None, None)
