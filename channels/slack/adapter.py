"""The Slack channel adapter: `/slack/events` over HTTP (default) or a Socket Mode connection.

Upstream: slack-bolt (https://tools.slack.dev/bolt-python/) and Socket Mode
(https://api.slack.com/apis/socket-mode). Intake and page buttons are in
channels/slack/transport.py and channels/slack/actions.py; parsing in
channels/slack/parse.py.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from channels.slack import parse as slack_parse
from channels.slack.actions import PageActions
from channels.slack.socket_mode import SocketModeWatch
from channels.slack.transport import PATH, SLUG, SlackEvents, build_app, secret_of
from config.slack import SlackChannelSettings
from frontdesk.channel import Accept, ChannelContext
from frontdesk.errors import ConfigError
from frontdesk.models import Message, RawInbound

log = logging.getLogger(__name__)


class SlackAdapter:
    """Slack intake (mentions, DMs, the "Report as complaint" shortcut) and page buttons.

    Construction checks the secrets, so a server with Slack enabled and an
    empty signing secret (HTTP mode), app token (Socket Mode) or bot token does not start.
    """

    slug = SLUG
    # A signed payload from Slack that we cannot read may still be a complaint: a human should see it.
    quarantine_opens_case = True

    def __init__(self, settings: SlackChannelSettings, context: ChannelContext):
        self.settings = settings
        self.context = context
        if settings.socket_mode and not secret_of(settings.app_token):
            raise ConfigError(
                f"channels.slack.app_token: empty; Socket Mode needs an app-level token in {settings.app_token_env}")
        if not settings.socket_mode and not secret_of(settings.signing_secret):
            raise ConfigError(
                f"channels.slack.signing_secret: empty; set the environment variable {settings.signing_secret_env}")
        if not secret_of(settings.bot_token):
            raise ConfigError(f"channels.slack.bot_token: empty; set the environment variable {settings.bot_token_env}")
        self._events: SlackEvents | None = None
        self._watch: SocketModeWatch | None = None

    @staticmethod
    def parse(raw: RawInbound) -> Message:
        """See channels.slack.parse.parse."""
        return slack_parse.parse(raw)

    def routes(self, accept: Accept) -> list[web.RouteDef]:
        """`POST /slack/events` (events, the shortcut and button clicks); none in Socket Mode."""
        if self.settings.socket_mode:
            return []
        return [web.post(PATH, self.events(accept).handle)]

    async def run(self, accept: Accept) -> None:
        """In Socket Mode, hold the connection until cancelled; over HTTP the route does the work."""
        if not self.settings.socket_mode:
            await asyncio.Event().wait()
            return
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        with SocketModeWatch() as watch:
            self._watch = watch
            handler = AsyncSocketModeHandler(self.events(accept).app, secret_of(self.settings.app_token),
                                             logger=watch.logger)
            watching = asyncio.create_task(watch.watch(handler.client))
            try:
                await handler.connect_async()  # the SDK tries again until it connects
                log.info("slack: Socket Mode connected")
                await asyncio.Event().wait()
            finally:
                watching.cancel()
                await handler.close_async()

    def health(self) -> str | None:
        """In Socket Mode, a connection that keeps failing (a refused app token, say), or None; for /healthz."""
        return self._watch.health.problem() if self._watch is not None else None

    def events(self, accept: Accept) -> SlackEvents:
        """The bolt app and its listeners, built once."""
        if self._events is None:
            self._events = build_app(self.settings, accept, self._page_actions())
        return self._events

    def _page_actions(self) -> PageActions:
        from frontdesk.store.db import make_engine, make_sessions

        settings = self.context.settings
        sessions = make_sessions(make_engine(settings.effective_database_url))
        return PageActions(settings.oncall, sessions, self.context.redis)
