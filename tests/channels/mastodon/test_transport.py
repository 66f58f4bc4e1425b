"""channels.mastodon.transport: the poller against the fake instance, real intake and real cursors."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from channels.mastodon.transport import MastodonPoller
from config.social import MastodonChannelSettings
from config.types import fill_secrets
from frontdesk.store.cursors import CursorStore
from frontdesk.store.tables import RawPayload
from tests.fakes.mastodon_api import FakeMastodonApi, load_fixture
from tests.fakes.x_api import Fault
from tests.mentions.poll_health import assert_reported_after_two_failures, cursors_table_gone

ANN = {"id": "7", "username": "ann", "acct": "ann@example.org", "display_name": "Ann"}


class Crash(Exception):
    """Stands for the process dying between two accepted statuses."""


@pytest.fixture()
def fake():
    api = FakeMastodonApi()
    api.add_notifications(load_fixture("notifications__mention_and_follow.json"))
    with api.serve() as server:
        api.url = server.url
        yield api


def poller(fake, store, **overrides) -> MastodonPoller:
    settings = MastodonChannelSettings.model_validate(
        {"api_base_url": fake.url, "page_size": 5, "timeout": "2s", "error_backoff": "9s", **overrides})
    fill_secrets(settings, {"MASTODON_ACCESS_TOKEN": "tok"})
    return MastodonPoller(settings, CursorStore(store))


def stored(store) -> list[dict]:
    with store() as session:
        rows = session.scalars(select(RawPayload).order_by(RawPayload.received_at, RawPayload.id))
        return [json.loads(row.body) for row in rows]


async def test_mentions_are_read_oldest_first_page_after_page(fake, store, intake):
    statuses = [fake.add_mention(f"@mastodonpy_test parcel {i} missing", ANN)["id"] for i in range(12)]
    m = poller(fake, store)
    m.cursors.set(m.cursor_name("mentions"), {"min_id": "0"})
    assert await m.poll("mentions", intake.accept) == 60.0
    assert [e["status"]["id"] for e in stored(store)] == ["109440144213643619", *statuses]
    notification_calls = [c for c in fake.calls if c.path == "/api/v1/notifications"]
    assert [c.query.get("min_id") for c in notification_calls] == ["0", "200000000000000008",
                                                                    "200000000000000018"]
    assert all(c.query["types[]"] == "mention" and c.query["limit"] == "5" for c in notification_calls)
    assert fake.calls[0].headers["Authorization"] == "Bearer tok"
    assert stored(store)[0]["account_id"] == fake.me["id"]


async def test_first_poll_starts_from_the_newest_page(fake, store, intake):
    for i in range(8):
        fake.add_mention(f"@mastodonpy_test hello {i}", ANN)
    m = poller(fake, store)
    await m.poll("mentions", intake.accept)
    assert len(stored(store)) == 5
    await m.poll("mentions", intake.accept)
    assert len(stored(store)) == 5


async def test_replies_carry_the_root_of_their_chain(fake, store, intake):
    root = fake.add_mention("@mastodonpy_test my order is late", ANN)
    middle = fake.add_mention("@mastodonpy_test still late", ANN, in_reply_to=root)
    fake.add_mention("@mastodonpy_test and now it's broken", ANN, in_reply_to=middle)
    m = poller(fake, store)
    m.cursors.set(m.cursor_name("mentions"), {"min_id": "17"})
    await m.poll("mentions", intake.accept)
    assert [e["root_id"] for e in stored(store)] == [None, root["id"], root["id"]]


async def test_restart_after_a_crash_mid_page_loses_none_and_stores_none_twice(fake, store, intake):
    statuses = [fake.add_mention(f"@mastodonpy_test crash {i}", ANN)["id"] for i in range(9)]
    first = poller(fake, store)
    first.cursors.set(first.cursor_name("mentions"), {"min_id": "17"})
    accepted = 0

    async def dying_accept(*args, **kwargs):
        nonlocal accepted
        if accepted == 3:
            raise Crash()
        accepted += 1
        return await intake.accept(*args, **kwargs)

    with pytest.raises(Crash):
        await first.poll("mentions", dying_accept)
    restarted = poller(fake, store)
    await restarted.poll("mentions", intake.accept)
    assert [e["status"]["id"] for e in stored(store)] == statuses


async def test_rate_limit_and_errors_reschedule(fake, store, intake):
    fake.add_mention("@mastodonpy_test hi", ANN)
    m = poller(fake, store)
    fake.faults.append(Fault("rate_limit", path="/api/v1/accounts", reset_in=120))
    assert 100 <= await m.poll("mentions", intake.accept) <= 125
    fake.faults.append(Fault("malformed", path="/api/v1/notifications"))
    assert await m.poll("mentions", intake.accept) == 9.0
    fake.faults.append(Fault("status", path="/api/v1/notifications", status=503, body={"error": "down"}))
    assert await m.poll("mentions", intake.accept) == 9.0
    assert stored(store) == []
    assert await m.poll("mentions", intake.accept) == 60.0
    assert len(stored(store)) == 2


async def test_hashtag_stream_has_its_own_cursor(fake, store, intake):
    fake.add_mention("@mastodonpy_test #AcmeFail again", ANN, tags=("acmefail",))
    m = poller(fake, store, hashtags=["acmefail"])
    assert m.streams() == ["mentions", "tag:acmefail"]
    await m.poll("tag:acmefail", intake.accept)
    assert [e["stream"] for e in stored(store)] == ["tag:acmefail"]
    assert m.cursors.get(m.cursor_name("tag:acmefail")) == {"min_id": stored(store)[0]["status"]["id"]}


async def test_pages_are_capped_at_mastodons_forty(fake, store, intake):
    statuses = [fake.add_mention(f"@mastodonpy_test many {i}", ANN)["id"] for i in range(45)]
    m = poller(fake, store, page_size=100)
    m.cursors.set(m.cursor_name("mentions"), {"min_id": "17"})
    await m.poll("mentions", intake.accept)
    assert [e["status"]["id"] for e in stored(store)] == statuses
    assert {c.query["limit"] for c in fake.calls if c.path == "/api/v1/notifications"} == {"40"}


async def test_a_revoked_token_is_reported_until_a_poll_goes_through(fake, store, intake):
    m = poller(fake, store)
    revoked = {"error": "The access token was revoked"}  # Mastodon's 401 body
    fake.faults.extend(Fault("status", path="/api/v1/accounts", status=401, body=revoked) for _ in range(2))
    await assert_reported_after_two_failures(m, intake.accept,
                                             "mentions: MastodonUnauthorizedError, 2 polls in a row since 20")
    assert len(stored(store)) == 1


async def test_a_store_that_cannot_keep_the_cursor_backs_off_and_loses_nothing(fake, store, intake):
    mention = fake.add_mention("@mastodonpy_test the order is late again", ANN)
    m = poller(fake, store)
    with cursors_table_gone(store):
        assert await m.poll("mentions", intake.accept) == 9.0
        assert stored(store) == []
    assert await m.poll("mentions", intake.accept) == 60.0
    await m.poll("mentions", intake.accept)
    assert [entry["status"]["id"] for entry in stored(store)].count(mention["id"]) == 1
