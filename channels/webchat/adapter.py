"""The web chat channel: an embeddable widget talking to the shared aiohttp app.

Frontdesk's own protocol (docs/channels/webchat.md) over WebSocket (RFC 6455)
with a REST and Server-Sent Events fallback. Routes: `/chat` (standalone
page), `/chat/widget.js`, `/chat/widget.css`, `/chat/ws`,
`/chat/conversations`, `/chat/messages`, `/chat/events`.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from channels.webchat import parse as webchat_parse
from channels.webchat.guard import Guards
from channels.webchat.hub import Hub, async_client
from channels.webchat.rest import RestEndpoints, StaticFiles
from channels.webchat.service import ChatService
from channels.webchat.tokens import TokenSigner, load_or_create_key
from channels.webchat.transport import SocketEndpoint
from config.webchat import WebchatChannelSettings
from frontdesk.channel import Accept, ChannelContext
from frontdesk.models import Message, RawInbound
from frontdesk.store.transcripts import transcript_sessions


class WebchatAdapter:
    """The web chat; one instance per server process, holding that process's sockets."""

    slug = "webchat"
    quarantine_opens_case = False

    def __init__(self, settings: WebchatChannelSettings, context: ChannelContext):
        self.settings = settings
        self.context = context
        secret = settings.secret.get_secret_value() if settings.secret else None
        self.signer = TokenSigner(load_or_create_key(context.settings.data_dir, secret))
        self.guards = Guards.from_settings(settings)
        self.hub: Hub | None = None
        self.endpoint: SocketEndpoint | None = None
        self.rest: RestEndpoints | None = None

    @staticmethod
    def parse(raw: RawInbound) -> Message:
        """See channels.webchat.parse.parse."""
        return webchat_parse.parse(raw)

    def routes(self, accept: Accept) -> list[web.RouteDef]:
        """The chat's routes on the shared app; visitor frames go through `accept`."""
        self.hub = Hub(async_client(self.context.redis))
        sessions = transcript_sessions(self.context.settings)
        service = ChatService(self.settings, self.signer, sessions, self.hub, accept)
        self.endpoint = SocketEndpoint(service, self.guards)
        self.rest = rest = RestEndpoints(service, self.guards)
        static = StaticFiles(self.settings.title)
        return [
            web.get("/chat", static.chat_page),
            web.get(r"/chat/{name:widget\.(?:js|css)}", static.asset),
            web.get("/chat/ws", self.endpoint.handle),
            web.post("/chat/conversations", rest.new_conversation),
            web.post("/chat/messages", rest.post_message),
            web.get("/chat/events", rest.events),
            *(web.route("OPTIONS", path, rest.preflight) for path in ("/chat/conversations", "/chat/messages", "/chat/events")),
        ]

    async def run(self, accept: Accept) -> None:
        """Nothing to poll; on cancellation (shutdown) close the open sockets and the pub/sub connection."""
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()

    async def close(self) -> None:
        """Close every socket with 1001, end every event stream, and stop the hub."""
        if self.rest is not None:
            self.rest.close_all()
        if self.endpoint is not None:
            await self.endpoint.close_all()
        if self.hub is not None:
            await self.hub.close()
