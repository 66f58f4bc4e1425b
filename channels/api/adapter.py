"""The generic channel's transport: `POST /api/messages` on the shared aiohttp app.

Frontdesk's own API (README, "The generic HTTP channel"). The handler checks
the bearer token and the body, then hands the raw bytes to `accept`, which
returns once they are committed and queued; the worker parses them again.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from channels.api import parse as api_parse
from config.schema import ApiChannelSettings, ApiClientSettings
from frontdesk.channel import Accept, ChannelContext
from frontdesk.errors import IntakeUnavailableError, MalformedPayloadError
from frontdesk.models import Message, RawInbound
from frontdesk.web.auth import client_for
from frontdesk.web.responses import json_error, read_limited

log = logging.getLogger(__name__)


class ApiAdapter:
    """The generic HTTP channel; one bearer token (and callback) per configured client."""

    slug = "api"
    quarantine_opens_case = False

    def __init__(self, settings: ApiChannelSettings, context: ChannelContext):
        self.settings = settings
        self.context = context

    @staticmethod
    def parse(raw: RawInbound) -> Message:
        """See channels.api.parse.parse."""
        return api_parse.parse(raw)

    async def run(self, accept: Accept) -> None:
        """Nothing to poll: the routes do the work. Waits until cancelled."""
        await asyncio.Event().wait()

    def routes(self, accept: Accept) -> list[web.RouteDef]:
        """`POST /api/messages`."""
        handler = MessageHandler(self.settings, accept)
        return [web.post("/api/messages", handler.post)]


class MessageHandler:
    """Verifies, commits, enqueues and answers; nothing slow happens here."""

    def __init__(self, settings: ApiChannelSettings, accept: Accept):
        self.settings = settings
        self.accept = accept

    async def post(self, request: web.Request) -> web.Response:
        client = client_for(self.settings.clients, request.headers.get("Authorization", ""))
        if client is None:
            return json_error(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})
        limit = self.settings.max_body_bytes
        body = await read_limited(request, limit)
        if body is None:
            return json_error(413, f"body larger than {limit} bytes")
        try:
            parsed = api_parse.read_body(body)
        except MalformedPayloadError as error:
            await self._quarantine(body, client, error)
            return json_error(400, str(error), field=error.field)
        try:
            accepted = await self.accept(
                "api", api_parse.external_id_for(client.name, parsed), body, meta={"client": client.name},
            )
        except IntakeUnavailableError as error:
            return json_error(503, f"intake unavailable, retry later: {error}", headers={"Retry-After": "5"})
        return web.json_response({"id": accepted.message_id, "duplicate": accepted.duplicate}, status=202)

    async def _quarantine(self, body: bytes, client: ApiClientSettings, error: MalformedPayloadError) -> None:
        try:
            await self.accept("api", "", body, meta={"client": client.name}, quarantine=str(error))
        except IntakeUnavailableError:
            log.warning("could not keep a rejected api payload: intake unavailable")

