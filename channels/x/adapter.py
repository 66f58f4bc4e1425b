"""The X channel adapter: the pure parser and the mentions/search poller behind one contract.

X API v2 (https://docs.x.com/x-api/introduction) through tweepy's `Client`.
"""

from __future__ import annotations

from channels.x import parse as x_parse
from channels.x.transport import XPoller
from config.social import XChannelSettings
from frontdesk.channel import Accept, ChannelContext
from frontdesk.mentions.polling import PollLoop
from frontdesk.models import Message, RawInbound


class XAdapter:
    """Mentions of our X account and configured searches, one poller per account."""

    slug = "x"
    quarantine_opens_case = False

    def __init__(self, settings: XChannelSettings, context: ChannelContext):
        self.settings = settings
        self.context = context
        self.poller = XPoller(settings, context.cursors)

    def health(self) -> str | None:
        """What keeps failing in the poller (a revoked token, say), or None; shown by /healthz."""
        return self.poller.health.problem()

    @staticmethod
    def parse(raw: RawInbound) -> Message:
        """See channels.x.parse.parse."""
        return x_parse.parse(raw)

    async def run(self, accept: Accept) -> None:
        """Poll every stream until cancelled, under the account's lock."""
        ttl = max(3 * self.settings.poll_interval.total_seconds(), 60.0)
        await PollLoop(self.poller, self.context.lock, f"x:{self.settings.account}", ttl).run(accept)
