"""The scheduling loop shared by the social pollers: one instance per account, each stream on its own clock.

A poller offers `streams()` and `poll(stream, accept) -> seconds until next`.
The loop holds the account's Redis lock (ChannelContext.lock) while it polls,
renews it between rounds, and stands by when another instance holds it. A
stream that was rate limited simply comes due later; nothing sleeps inside
a request. `wake(stream)` makes a stream due now (a streaming push).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Protocol

import redis

from frontdesk.channel import Accept, PollHealth

log = logging.getLogger(__name__)
UNEXPECTED_BACKOFF = 60.0  # seconds before a stream whose poll failed unexpectedly is tried again


class Poller(Protocol):
    """What the loop needs of a network's poller."""

    health: PollHealth

    def streams(self) -> list[str]:
        """The names of the streams to poll."""
        ...

    async def poll(self, stream: str, accept: Accept) -> float:
        """One round of `stream`; seconds until the next."""
        ...


class PollLoop:
    """Runs a poller's streams on their own schedules under the account lock."""

    def __init__(self, poller: Poller, lock: Callable[[str, float], Any] | None, lock_name: str, lock_ttl: float,
                 unexpected_backoff: float = UNEXPECTED_BACKOFF):
        self.poller = poller
        self.unexpected_backoff = unexpected_backoff
        self.lock_factory = lock
        self.lock_name = lock_name
        self.lock_ttl = max(lock_ttl, 10.0)
        self.due: dict[str, float] = {}
        self._woken = asyncio.Event()

    def wake(self, stream: str) -> None:
        """Make `stream` due now (safe to call from the event loop thread only)."""
        self.due[stream] = 0.0
        self._woken.set()

    async def run(self, accept: Accept, rounds: int | None = None) -> None:
        """Poll until cancelled (or for `rounds` polls, for tests); stand by while another instance polls."""
        lock = self.lock_factory(self.lock_name, self.lock_ttl) if self.lock_factory else None
        done = 0
        while rounds is None or done < rounds:
            if lock is not None and not _take(lock):
                await asyncio.sleep(self.lock_ttl / 3)
                continue
            self.due = {stream: 0.0 for stream in self.poller.streams()}
            done = await self._poll_while_held(lock, accept, done, rounds)

    async def _poll_while_held(self, lock, accept: Accept, done: int, rounds: int | None) -> int:
        while rounds is None or done < rounds:
            stream = min(self.due, key=self.due.get)
            wait = self.due[stream] - time.monotonic()
            if wait > 0:
                self._woken.clear()
                try:
                    await asyncio.wait_for(self._woken.wait(), timeout=min(wait, self.lock_ttl / 3))
                except asyncio.TimeoutError:
                    pass
                if lock is not None and not _renew(lock):
                    log.warning("lost poll lock %s; standing by", self.lock_name)
                    return done
                continue
            delay = await self._poll(stream, accept)
            self.due[stream] = time.monotonic() + delay
            done += 1
        return done

    async def _poll(self, stream: str, accept: Accept) -> float:
        """One round of `stream`. An error the poller did not expect is logged with its traceback, shown in its
        health, and the stream tried again after `unexpected_backoff`: one stream's fault must not end the
        account's polling for the life of the server (it did: the channel read "stopped" until a restart)."""
        try:
            return await self.poller.poll(stream, accept)
        except Exception as error:
            log.exception("%s %s: poll failed unexpectedly; trying again in %.0fs", self.lock_name, stream,
                          self.unexpected_backoff)
            self.poller.health.failed(stream, error)
            return self.unexpected_backoff


def _take(lock) -> bool:
    try:
        return bool(lock.acquire(blocking=False))
    except redis.RedisError as error:
        log.warning("poll lock unavailable: %s", type(error).__name__)
        return False


def _renew(lock) -> bool:
    try:
        lock.reacquire()
        return True
    except (redis.RedisError, redis.exceptions.LockError):
        return False
