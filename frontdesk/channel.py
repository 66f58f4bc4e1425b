"""The inbound contract every channel adapter meets.

An adapter turns provider payloads into `Message`s. It never classifies,
decides or replies. Its transport (`run`, or `routes` for adapters served by
the shared web app) hands raw payloads to `accept`, which returns only once
the payload is durably committed and queued (ARCHITECTURE invariant 1).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Protocol, runtime_checkable

from aiohttp import web

from frontdesk.models import Message, RawInbound


@dataclass(frozen=True)
class Accepted:
    """The answer of `accept`: the message id, and whether it was seen before."""

    message_id: str
    duplicate: bool


class Accept(Protocol):
    """Commit a raw payload and queue it; returns once both are durable.

    Raises `IntakeUnavailableError` when the store or queue is down.
    `quarantine` marks a payload already known to be unparseable: it is
    kept and counted, and a case flagged "unparsed" is still opened.
    """

    async def __call__(
        self,
        channel: str,
        external_id: str,
        body: bytes,
        *,
        content_type: str = "application/json",
        meta: dict[str, str] | None = None,
        quarantine: str | None = None,
    ) -> Accepted: ...


@runtime_checkable
class ChannelAdapter(Protocol):
    """One inbound channel: a slug, a pure parser and a transport."""

    slug: str

    def parse(self, raw: RawInbound) -> Message:
        """Turn one raw payload into a Message, or raise UnsupportedEventError / MalformedPayloadError."""
        ...

    async def run(self, accept: Accept) -> None:
        """Listen or poll until cancelled, handing every payload to `accept`."""
        ...


@runtime_checkable
class HttpChannel(Protocol):
    """An adapter whose transport is a set of routes on the shared web app."""

    def routes(self, accept: Accept) -> list[web.RouteDef]:
        """The aiohttp routes this channel serves."""
        ...


@runtime_checkable
class ReportsHealth(Protocol):
    """An adapter whose transport can be running and still failing (a poller whose credentials were revoked):
    /healthz and `frontdesk_channel_up` show what it reports."""

    def health(self) -> str | None:
        """What keeps failing, in one line, or None."""
        ...


class PollHealth:
    """Which of a poller's streams keep failing (a revoked token answers 401 on every poll, and the loop only
    backs off), for /healthz; a stream counts once it failed FAILING_AFTER polls in a row. `tries` names what
    is counted ("polls", "checks")."""

    FAILING_AFTER = 2

    def __init__(self, tries: str = "polls") -> None:
        self.tries = tries
        self.failures: dict[str, tuple[str, int, str]] = {}  # stream -> (error, tries in a row, since when)

    def failed(self, stream: str, error: BaseException | str) -> None:
        """A poll of `stream` failed with `error` (an exception, shown by its type, or a description)."""
        _, count, since = self.failures.get(stream, ("", 0, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
        self.failures[stream] = (error if isinstance(error, str) else type(error).__name__, count + 1, since)

    def ok(self, stream: str) -> None:
        """A poll of `stream` went through (a rate limit is no failure)."""
        self.failures.pop(stream, None)

    def problem(self) -> str | None:
        """What keeps failing, in one line, or None."""
        failures = dict(self.failures)  # one copy: /healthz reads from a thread while the pollers write
        failing = [f"{stream}: {error}, {count} {self.tries} in a row since {since}"
                   for stream, (error, count, since) in sorted(failures.items()) if count >= self.FAILING_AFTER]
        return "; ".join(failing) or None


Parser = Callable[[RawInbound], Message]
AcceptCallable = Callable[..., Awaitable[Accepted]]


@dataclass(frozen=True)
class ChannelContext:
    """What every adapter may use besides its own settings section.

    `cursors` keeps poller positions in the store (advance only after
    `accept` returned); `lock(name, ttl)` is a Redis lock so only one
    instance polls a mailbox or account; `redis` serves pub/sub.
    """

    settings: Any  # config.schema.Settings
    redis: Any = None
    cursors: Any = None  # frontdesk.store.cursors.CursorStore
    lock: Callable[[str, float], Any] | None = None
