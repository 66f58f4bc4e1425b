"""channels/webchat/hub.py against a real Redis: fan-out to local listeners, subscription lifecycle, bad data."""

from __future__ import annotations

import asyncio
import json

import redis
import redis.asyncio as aioredis

from channels.webchat.hub import Hub, async_client
from frontdesk.store.transcripts import live_channel

WAIT = 5.0


async def collect(hub: Hub, conversation: str) -> tuple[list[dict], asyncio.Event, callable]:
    lines: list[dict] = []
    arrived = asyncio.Event()

    async def listener(line: dict) -> None:
        lines.append(line)
        arrived.set()

    await hub.subscribe(conversation, listener)
    return lines, arrived, listener


async def subscribers(client: aioredis.Redis, conversation: str) -> int:
    return dict(await client.pubsub_numsub(live_channel("webchat", conversation)))[
        live_channel("webchat", conversation).encode()]


async def test_published_lines_reach_every_local_listener(redis_url):
    hub = Hub(async_client(redis.Redis.from_url(redis_url)))
    try:
        first, first_arrived, _ = await collect(hub, "conversation-a")
        second, second_arrived, _ = await collect(hub, "conversation-a")
        other, _, _ = await collect(hub, "conversation-b")
        await hub.publish("conversation-a", {"id": "m:1", "kind": "visitor", "text": "<b>hi</b>"})
        await asyncio.wait_for(asyncio.gather(first_arrived.wait(), second_arrived.wait()), WAIT)
        assert first == second == [{"id": "m:1", "kind": "visitor", "text": "<b>hi</b>"}]
        assert other == [] and hub.conversations == 2
    finally:
        await hub.close()


async def test_a_sync_publisher_elsewhere_reaches_the_hub(redis_url):
    hub = Hub(async_client(redis.Redis.from_url(redis_url)))
    try:
        lines, arrived, _ = await collect(hub, "conversation-a")
        frame = json.dumps({"type": "event", "event": {"id": "d:ack:1", "kind": "ack", "text": "ok"}})
        assert redis.Redis.from_url(redis_url).publish(live_channel("webchat", "conversation-a"), frame) == 1
        await asyncio.wait_for(arrived.wait(), WAIT)
        assert lines[0]["id"] == "d:ack:1"
    finally:
        await hub.close()


async def test_channel_is_left_with_its_last_listener(redis_url):
    hub = Hub(async_client(redis.Redis.from_url(redis_url)))
    probe = aioredis.Redis.from_url(redis_url)
    try:
        _, _, first = await collect(hub, "conversation-a")
        _, _, second = await collect(hub, "conversation-a")
        await hub.unsubscribe("conversation-a", first)
        assert await subscribers(probe, "conversation-a") == 1
        await hub.unsubscribe("conversation-a", second)
        assert await subscribers(probe, "conversation-a") == 0 and hub.conversations == 0
        await hub.unsubscribe("conversation-a", second)  # a second goodbye is harmless
    finally:
        await probe.aclose()
        await hub.close()


async def test_malformed_published_data_is_ignored(redis_url):
    hub = Hub(async_client(redis.Redis.from_url(redis_url)))
    publisher = redis.Redis.from_url(redis_url)
    try:
        lines, arrived, _ = await collect(hub, "conversation-a")
        for junk in (b"not json", b"[]", b'{"type": "event"}'):
            publisher.publish(live_channel("webchat", "conversation-a"), junk)
        await hub.publish("conversation-a", {"id": "m:2"})
        await asyncio.wait_for(arrived.wait(), WAIT)
        assert lines == [{"id": "m:2"}]
    finally:
        await hub.close()


async def test_publish_with_redis_gone_does_not_raise():
    hub = Hub(aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1))
    await hub.publish("conversation-a", {"id": "m:3"})
    await hub.close()
