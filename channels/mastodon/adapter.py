"""The Mastodon channel adapter: the pure parser and the notification/hashtag/search poller behind one contract.

Mastodon's REST API (https://docs.joinmastodon.org/client/intro/) through Mastodon.py.
"""

from __future__ import annotations

import asyncio

from channels.mastodon import parse as mastodon_parse
from channels.mastodon.stream import stream_wakeups
from channels.mastodon.transport import MastodonPoller
from config.social import MastodonChannelSettings
from frontdesk.channel import Accept, ChannelContext
from frontdesk.mentions.polling import PollLoop
from frontdesk.models import Message, RawInbound


class MastodonAdapter:
    """Mentions of our Mastodon account, hashtags and keyword searches, one poller per account."""

    slug = "mastodon"
    quarantine_opens_case = False

    def __init__(self, settings: MastodonChannelSettings, context: ChannelContext):
        self.settings = settings
        self.context = context
        self.poller = MastodonPoller(settings, context.cursors)

    def health(self) -> str | None:
        """What keeps failing in the poller (a revoked token, say), or None; shown by /healthz."""
        return self.poller.health.problem()

    @staticmethod
    def parse(raw: RawInbound) -> Message:
        """See channels.mastodon.parse.parse."""
        return mastodon_parse.parse(raw)

    async def run(self, accept: Accept) -> None:
        """Poll every stream until cancelled, under the account's lock; pushed mentions make a poll come early."""
        ttl = max(3 * self.settings.poll_interval.total_seconds(), 60.0)
        loop = PollLoop(self.poller, self.context.lock, f"mastodon:{self.settings.account}", ttl)
        if not self.settings.streaming:
            await loop.run(accept)
            return
        reconnect = self.settings.stream_reconnect.total_seconds()
        await asyncio.gather(loop.run(accept), stream_wakeups(self.poller.client, loop.wake, reconnect))
