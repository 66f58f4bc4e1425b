"""The Mastodon channel end to end on loopback: the platform polls the fake instance, routes, indexes, replies."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from frontdesk.mentions.store import Mention
from tests.fakes.mastodon_api import FakeMastodonApi

ANN = {"id": "7", "username": "ann", "acct": "ann@example.org", "display_name": "Ann"}


@pytest.fixture()
def fake():
    api = FakeMastodonApi()
    with api.serve() as server:
        api.url = server.url
        yield api


def test_mention_gets_one_reply_under_it_and_praise_is_only_indexed(make_platform, fake):
    complaint = fake.add_mention("@mastodonpy_test the app deleted my photos, terrible", ANN)
    praise = fake.add_mention("@mastodonpy_test thank you so much, great service", ANN | {"id": "8", "acct": "bo"})
    platform = make_platform(
        channels={"mastodon": {"enabled": True, "api_base_url": fake.url, "poll_interval": "0.2s",
                               "streaming": False}},
        outbound={"mastodon": {"api_base_url": fake.url}},
        environ={"MASTODON_ACCESS_TOKEN": "tok"})
    deadline = time.monotonic() + 20
    indexed = {}
    while time.monotonic() < deadline and len(indexed) < 2:
        platform.work()
        with platform.services.sessions() as session:
            indexed = {row.external_id: row for row in session.scalars(select(Mention))}
        time.sleep(0.1)
    platform.work()
    assert indexed[complaint["id"]].case_id is not None and indexed[praise["id"]].case_id is None
    assert indexed[complaint["id"]].author_handle == "ann@example.org"
    assert indexed[complaint["id"]].url == complaint["url"]
    [reply] = fake.posted
    assert reply["in_reply_to_id"] == complaint["id"] and reply["visibility"] == "unlisted"
    assert reply["text"].startswith("@ann@example.org ") and f"FD-{indexed[complaint['id']].case_id:06d}" in reply["text"]
    post = [c for c in fake.calls if c.method == "POST"][0]
    assert post.headers["Idempotency-Key"].startswith("ack:")


def platform_for(make_platform, fake, poll_interval: str, streaming: bool):
    return make_platform(
        channels={"mastodon": {"enabled": True, "api_base_url": fake.url, "poll_interval": poll_interval,
                               "streaming": streaming, "stream_reconnect": "1s"}},
        outbound={"mastodon": {"api_base_url": fake.url, "replies": {"normal": "silent"}}},
        environ={"MASTODON_ACCESS_TOKEN": "tok"})


def indexed_within(platform, count: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        platform.work()
        with platform.services.sessions() as session:
            if len(session.scalars(select(Mention.id)).all()) >= count:
                return True
        time.sleep(0.1)
    return False


def test_a_pushed_mention_is_polled_at_once(make_platform, fake):
    platform = platform_for(make_platform, fake, poll_interval="10m", streaming=True)
    deadline = time.monotonic() + 10
    while not fake._streams and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake._streams, "the adapter never opened the notification stream"
    fake.add_mention("@mastodonpy_test my refund never came", ANN)
    assert indexed_within(platform, 1, 10)


def test_without_a_streaming_server_polling_carries_on(make_platform, fake):
    fake.streaming = False
    platform = platform_for(make_platform, fake, poll_interval="0.3s", streaming=True)
    time.sleep(0.5)
    fake.add_mention("@mastodonpy_test my refund never came", ANN)
    assert indexed_within(platform, 1, 10)
    assert any(c.path == "/api/v1/streaming/user/notification" for c in fake.calls)
