"""Live delivery to open widgets across server processes, through Redis pub/sub.

Redis PUBLISH/SUBSCRIBE (https://redis.io/docs/latest/develop/interact/pubsub/)
via redis-py's asyncio client. Each server process holds one subscriber
connection; it subscribes to a conversation's channel while at least one
socket or event stream of that conversation is open here, so a sender in any
worker process reaches whichever process holds the visitor.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from typing import Awaitable, Callable

import redis
import redis.asyncio as aioredis

from frontdesk.store.transcripts import live_channel

log = logging.getLogger(__name__)
SLUG = "webchat"
CONTROL = f"{SLUG}:live:-"  # always subscribed, so the reader never waits on an empty subscription
Listener = Callable[[dict], Awaitable[None]]


def async_client(sync: redis.Redis) -> aioredis.Redis:
    """An asyncio client for the same server as a sync client; no read timeout, for pub/sub."""
    kwargs = dict(sync.connection_pool.connection_kwargs)
    # A health check would read on the subscriber connection while the reader task reads too.
    for option in ("socket_timeout", "health_check_interval"):
        kwargs.pop(option, None)
    if "path" in kwargs:
        pool = aioredis.ConnectionPool(connection_class=aioredis.UnixDomainSocketConnection, **kwargs)
    else:
        pool = aioredis.ConnectionPool(**kwargs)
    return aioredis.Redis(connection_pool=pool)


class Hub:
    """Routes events published for a conversation to the listeners registered in this process."""

    def __init__(self, client: aioredis.Redis):
        self.client = client
        self._listeners: dict[str, set[Listener]] = defaultdict(set)
        self._pubsub: aioredis.client.PubSub | None = None
        self._reader: asyncio.Task | None = None
        self._sending: set[asyncio.Task] = set()
        self._lock = asyncio.Lock()

    async def _start(self) -> None:
        if self._reader is None or self._reader.done():
            self._pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            await self._pubsub.subscribe(CONTROL, *(live_channel(SLUG, c) for c in self._listeners))
            self._reader = asyncio.create_task(self._read(self._pubsub), name="webchat:hub")

    async def subscribe(self, conversation: str, listener: Listener) -> None:
        """Call `listener(event)` for every event published for `conversation` until unsubscribed."""
        async with self._lock:
            await self._start()
            first = not self._listeners[conversation]
            self._listeners[conversation].add(listener)
            if first:
                await self._pubsub.subscribe(live_channel(SLUG, conversation))

    async def unsubscribe(self, conversation: str, listener: Listener) -> None:
        """Stop calling `listener`; the channel is left when its last listener goes."""
        async with self._lock:
            listeners = self._listeners.get(conversation)
            if listeners is None:
                return
            listeners.discard(listener)
            if not listeners:
                del self._listeners[conversation]
                if self._pubsub is not None and self._reader is not None and not self._reader.done():
                    await self._pubsub.unsubscribe(live_channel(SLUG, conversation))

    async def publish(self, conversation: str, event: dict) -> None:
        """Announce an event to every process holding this conversation (best effort)."""
        try:
            await self.client.publish(live_channel(SLUG, conversation), json.dumps({"type": "event", "event": event}))
        except redis.RedisError as error:
            log.warning("webchat: could not publish an event: %s", type(error).__name__)

    async def _read(self, pubsub: aioredis.client.PubSub) -> None:
        prefix = live_channel(SLUG, "")
        while True:
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
            except redis.RedisError as error:
                log.warning("webchat: pub/sub connection lost (%s); open widgets catch up on reconnect",
                            type(error).__name__)
                await asyncio.sleep(1.0)
                await self._resubscribe(pubsub)
                continue
            if message is None or message["type"] != "message":
                continue
            conversation = message["channel"].decode().removeprefix(prefix)
            self._dispatch(conversation, message["data"])

    async def _resubscribe(self, pubsub: aioredis.client.PubSub) -> None:
        try:
            await pubsub.subscribe(CONTROL, *(live_channel(SLUG, c) for c in list(self._listeners)))
        except redis.RedisError:
            pass

    def _dispatch(self, conversation: str, data: bytes) -> None:
        try:
            frame = json.loads(data)
            event = frame["event"]
        except (ValueError, KeyError, TypeError):
            log.warning("webchat: ignored a malformed published event")
            return
        for listener in list(self._listeners.get(conversation, ())):
            task = asyncio.create_task(listener(event))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    @property
    def conversations(self) -> int:
        """Conversations with a listener in this process."""
        return len(self._listeners)

    async def close(self) -> None:
        """Stop reading and close the subscriber connection."""
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._pubsub is not None:
            await self._pubsub.aclose()
        await self.client.aclose()
