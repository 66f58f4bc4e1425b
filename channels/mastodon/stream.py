"""Mastodon's streaming API as a wake-up call for the poller.

`GET /api/v1/streaming/user/notification` (https://docs.joinmastodon.org/methods/streaming/)
pushes notifications as server-sent events. A pushed mention only makes the
`mentions` stream due at once; the poll then reads it with the cursor
discipline, so a dropped event, a reconnect or a missing streaming server
costs latency, never a mention: polling every `poll_interval` is the fallback.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from mastodon import Mastodon, StreamListener
from mastodon.errors import MastodonError

log = logging.getLogger(__name__)


class WakeOnMention(StreamListener):
    """Calls `wake("mentions")` for every pushed mention notification (from Mastodon.py's stream thread)."""

    def __init__(self, wake: Callable[[str], None]):
        super().__init__()
        self.wake = wake

    def on_notification(self, notification) -> None:
        if notification.get("type") == "mention":
            self.wake("mentions")

    def on_abort(self, err) -> None:
        log.info("mastodon stream dropped (%s); reconnecting, polling goes on", type(err).__name__)


async def stream_wakeups(client: Mastodon, wake: Callable[[str], None], reconnect_seconds: float) -> None:
    """Keep a notification stream open until cancelled; `wake` runs on the calling event loop."""
    loop = asyncio.get_running_loop()
    listener = WakeOnMention(lambda stream: loop.call_soon_threadsafe(wake, stream))
    while True:
        try:
            handle = await asyncio.to_thread(
                client.stream_user_notifications, listener, run_async=True, reconnect_async=True,
                reconnect_async_wait_sec=max(int(reconnect_seconds), 1))
        except (MastodonError, OSError, ValueError) as error:
            log.info("mastodon streaming unavailable (%s); polling only", type(error).__name__)
            await asyncio.sleep(reconnect_seconds)
            continue
        try:
            await asyncio.Event().wait()
        finally:
            handle.close()
