"""channels.x.transport: the poller against the fake X API, real intake (SQLite + Redis) and real cursors."""

from __future__ import annotations

import asyncio

import pytest
import redis
from sqlalchemy import select

from channels.x.transport import XPoller
from config.types import fill_secrets
from config.social import XChannelSettings
from frontdesk.mentions.polling import PollLoop
from frontdesk.store.cursors import CursorStore
from frontdesk.store.tables import RawPayload
from tests.fakes.x_api import UNAUTHORIZED, FakeXApi, Fault, load_fixture
from tests.mentions.poll_health import assert_reported_after_two_failures, cursors_table_gone

AUTHOR = {"id": "42", "name": "Ann Example", "username": "ann_example"}


class Crash(Exception):
    """Stands for the process dying between two accepted tweets."""


@pytest.fixture()
def fake():
    api = FakeXApi()
    with api.serve() as server:
        api.url = server.url
        yield api


def poller(fake, store, **overrides) -> XPoller:
    data = {"api_base_url": fake.url, "page_size": 10, "max_pages": 3, "timeout": "2s", **overrides}
    settings = XChannelSettings.model_validate(data)
    fill_secrets(settings, {"X_BEARER_TOKEN": "app-token"})
    return XPoller(settings, CursorStore(store))


def stored_ids(store) -> list[str]:
    with store() as session:
        keys = session.scalars(select(RawPayload.idempotency_key).order_by(RawPayload.received_at, RawPayload.id))
        return [key.removeprefix("x:") for key in keys]


async def test_pages_are_read_oldest_first_and_the_cursor_follows(fake, store, intake):
    tweets = [fake.add_mention(f"@TweepyDev order {i} still late", AUTHOR)["id"] for i in range(25)]
    x = poller(fake, store)
    x.cursors.set(x.cursor_name("mentions"), {"since_id": "1"})
    assert await x.poll("mentions", intake.accept) == 60.0
    assert stored_ids(store) == tweets
    mention_calls = [c for c in fake.calls if c.path.endswith("/mentions")]
    assert [c.query.get("pagination_token") for c in mention_calls] == [None, "10", "20"]
    assert mention_calls[0].query["since_id"] == "1" and "author_id" in mention_calls[0].query["expansions"]
    assert mention_calls[0].headers["Authorization"] == "Bearer app-token"
    assert x.cursors.get(x.cursor_name("mentions")) == {"since_id": tweets[-1]}
    await x.poll("mentions", intake.accept)
    assert stored_ids(store) == tweets


async def test_a_backlog_beyond_max_pages_is_filled_in_later_without_loss(fake, store, intake):
    tweets = [fake.add_mention(f"@TweepyDev backlog {i}", AUTHOR)["id"] for i in range(45)]
    x = poller(fake, store, max_pages=2)
    x.cursors.set(x.cursor_name("mentions"), {"since_id": "1"})
    await x.poll("mentions", intake.accept)
    assert sorted(stored_ids(store)) == tweets[25:]
    assert x.cursors.get(x.cursor_name("mentions"))["until_id"] == tweets[25]
    for _ in range(3):
        await x.poll("mentions", intake.accept)
    assert sorted(stored_ids(store)) == tweets
    assert x.cursors.get(x.cursor_name("mentions")) == {"since_id": tweets[-1]}


async def test_restart_after_a_crash_mid_page_loses_none_and_stores_none_twice(fake, store, intake):
    tweets = [fake.add_mention(f"@TweepyDev crash {i}", AUTHOR)["id"] for i in range(15)]
    first = poller(fake, store)
    first.cursors.set(first.cursor_name("mentions"), {"since_id": "1"})
    accepted = 0

    async def dying_accept(*args, **kwargs):
        nonlocal accepted
        if accepted == 7:
            raise Crash()
        accepted += 1
        return await intake.accept(*args, **kwargs)

    with pytest.raises(Crash):
        await first.poll("mentions", dying_accept)
    await asyncio.sleep(0.2)  # accepts of the same chunk already on their way finish, as they would in a crash
    assert 7 <= len(stored_ids(store)) < 15
    restarted = poller(fake, store)
    await restarted.poll("mentions", intake.accept)
    assert stored_ids(store) == tweets
    assert restarted.cursors.get(restarted.cursor_name("mentions")) == {"since_id": tweets[-1]}


async def test_429_reschedules_until_the_reset_and_sends_nothing_more(fake, store, intake):
    fake.add_mention("@TweepyDev hello", AUTHOR)
    x = poller(fake, store)
    fake.faults.append(Fault("rate_limit", path="/2/users/me", reset_in=300))
    wait = await x.poll("mentions", intake.accept)
    assert 290 <= wait <= 305
    assert len(fake.calls) == 1 and stored_ids(store) == []
    assert await x.poll("mentions", intake.accept) == 60.0
    assert len(stored_ids(store)) == 1


async def test_timeouts_and_malformed_pages_back_off_and_keep_the_cursor(fake, store, intake):
    fake.add_mention("@TweepyDev hello", AUTHOR)
    x = poller(fake, store, timeout="0.5s", error_backoff="7s", user_id=fake.me["id"])
    x.cursors.set(x.cursor_name("mentions"), {"since_id": "1"})
    fake.faults.append(Fault("stall", path="/2/users/", seconds=2))
    assert await x.poll("mentions", intake.accept) == 7.0
    fake.faults.append(Fault("malformed", path="/2/users/"))
    assert await x.poll("mentions", intake.accept) == 7.0
    fake.faults.append(Fault("status", path="/2/users/", status=200, body={"data": "not a list"}))
    assert await x.poll("mentions", intake.accept) == 7.0
    assert x.cursors.get(x.cursor_name("mentions")) == {"since_id": "1"} and stored_ids(store) == []
    await x.poll("mentions", intake.accept)
    assert len(stored_ids(store)) == 1


async def test_search_streams_have_their_own_cursor_and_share_dedupe(fake, store, intake):
    fake.add_page(load_fixture("mentions__expanded.json"), mentions=False)
    x = poller(fake, store, queries=["obama"])
    assert x.streams() == ["mentions", "search:obama"]
    await x.poll("search:obama", intake.accept)
    await x.poll("search:obama", intake.accept)
    assert len(stored_ids(store)) == 4  # three replies and a referenced tweet that also says "Obama"
    search = [c for c in fake.calls if c.path == "/2/tweets/search/recent"]
    assert search[0].query["query"] == "obama" and search[1].query["since_id"] == "1380242525827530756"


async def test_envelope_carries_author_and_deleted_author_errors(fake, store, intake):
    fake.add_page(load_fixture("mentions__author_deleted.json"))
    x = poller(fake, store)
    await x.poll("mentions", intake.accept)
    with store() as session:
        raw = session.scalars(select(RawPayload)).one()
    assert b'"resource_type":"user"' in raw.body and b'"account_id":"1072250532645998596"' in raw.body
    assert raw.meta == {"stream": "mentions", "account": "default"}


async def test_one_instance_per_account_under_the_lock(fake, store, intake, redis_url):
    from frontdesk.mentions.polling import PollLoop

    fake.add_mention("@TweepyDev hello", AUTHOR)
    connection = redis.Redis.from_url(redis_url)
    lock = lambda name, ttl: connection.lock(f"frontdesk:lock:{name}", timeout=ttl, blocking=False)  # noqa: E731
    held = lock("x:default", 30)
    assert held.acquire()
    standby = PollLoop(poller(fake, store), lock, "x:default", 30)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(standby.run(intake.accept, rounds=1), timeout=0.5)
    assert fake.calls == []
    held.release()
    await asyncio.wait_for(standby.run(intake.accept, rounds=1), timeout=10)
    assert len(stored_ids(store)) == 1
    assert connection.exists("frontdesk:lock:x:default")


async def test_a_stream_that_keeps_failing_is_reported_until_a_poll_goes_through(fake, store, intake):
    x = poller(fake, store, error_backoff="1s", user_id=fake.me["id"])
    fake.faults.extend(Fault("status", path="/2/users/", status=401, body=UNAUTHORIZED) for _ in range(2))
    await assert_reported_after_two_failures(x, intake.accept, "mentions: Unauthorized, 2 polls in a row since 20")


async def test_a_store_that_cannot_keep_the_cursor_backs_off_and_loses_nothing(fake, store, intake):
    fake.add_mention("@TweepyDev order 7 is still late", AUTHOR)
    x = poller(fake, store, error_backoff="7s", user_id=fake.me["id"])
    with cursors_table_gone(store):
        assert await x.poll("mentions", intake.accept) == 7.0
        assert stored_ids(store) == []
    assert await x.poll("mentions", intake.accept) == 60.0
    assert len(stored_ids(store)) == 1


async def test_an_unexpected_error_is_shown_and_the_stream_polled_again(fake, store, intake, monkeypatch):
    fake.add_mention("@TweepyDev the refund never came", AUTHOR)
    x = poller(fake, store, user_id=fake.me["id"])
    faults = iter([RuntimeError("a fault of ours"), RuntimeError("a fault of ours")])
    real_fetch = x.fetch

    def failing_twice(stream, state):
        fault = next(faults, None)
        if fault is not None:
            raise fault
        return real_fetch(stream, state)

    monkeypatch.setattr(x, "fetch", failing_twice)  # stands for a bug met on one peculiar page
    loop = PollLoop(x, None, "x:default", 30, unexpected_backoff=0.05)
    await asyncio.wait_for(loop.run(intake.accept, rounds=2), timeout=10)
    assert x.health.problem().startswith("mentions: RuntimeError, 2 polls in a row")
    assert stored_ids(store) == []
    await asyncio.wait_for(loop.run(intake.accept, rounds=1), timeout=10)
    assert len(stored_ids(store)) == 1 and x.health.problem() is None
