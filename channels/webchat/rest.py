"""The web chat's REST fallback, event stream and static files.

For browsers or networks where the WebSocket fails: `POST /chat/conversations`
starts a conversation, `POST /chat/messages` sends a frame, and
`GET /chat/events` streams the welcome and every later line as Server-Sent
Events (https://html.spec.whatwg.org/multipage/server-sent-events.html),
ending after `stream_timeout` so the widget reconnects and catches up. The
token travels in `Authorization: Bearer`, never in a URL or a cookie.
"""

from __future__ import annotations

import asyncio
import html
import json
from pathlib import Path

from aiohttp import web

from channels.webchat.guard import Guards, client_address, refuse_cross_site_post
from channels.webchat.service import ChatService
from channels.webchat.tokens import Conversation
from frontdesk.web.responses import json_error

STATIC = Path(__file__).resolve().parent / "static"
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
STREAM_BACKLOG = 64


class RestEndpoints:
    """`/chat/conversations`, `/chat/messages`, `/chat/events`, and their CORS preflights."""

    def __init__(self, service: ChatService, guards: Guards):
        self.service = service
        self.settings = service.settings
        self.guards = guards
        self.streams: set[asyncio.Queue] = set()

    def _conversation(self, request: web.Request) -> Conversation | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return self.service.signer.verify(token.strip()) if scheme.lower() == "bearer" else None

    def _error(self, request: web.Request, status: int, message: str, **headers: str) -> web.Response:
        return json_error(status, message, headers={**self.guards.policy.cors_headers(request), **headers})

    async def preflight(self, request: web.Request) -> web.Response:
        """`OPTIONS`: CORS headers for an allowlisted origin, 403 for any other."""
        headers = self.guards.policy.cors_headers(request)
        if "Access-Control-Allow-Origin" not in headers:
            return web.Response(status=403, headers={"Vary": "Origin"})
        return web.Response(status=204, headers=headers)

    async def new_conversation(self, request: web.Request) -> web.Response:
        """`POST /chat/conversations` → 201 `{"token", "conversation"}`."""
        refusal = refuse_cross_site_post(self.guards.policy, request)
        if refusal:
            return self._error(request, 403, refusal)
        if not self.guards.limits.new_conversation(client_address(request, self.settings)):
            return self._error(request, 429, "too many new conversations", **{"Retry-After": "60"})
        conversation = self.service.signer.issue()
        return web.json_response({"token": conversation.token, "conversation": conversation.id}, status=201,
                                 headers=self.guards.policy.cors_headers(request))

    async def post_message(self, request: web.Request) -> web.Response:
        """`POST /chat/messages`: one visitor frame → 202 `received`, 4xx/503 `error`."""
        refusal = refuse_cross_site_post(self.guards.policy, request)
        if refusal:
            return self._error(request, 403, refusal)
        conversation = self._conversation(request)
        if conversation is None:
            return self._error(request, 401, "missing or invalid conversation token", **{"WWW-Authenticate": "Bearer"})
        limit = self.settings.max_message_bytes
        if request.content_length is not None and request.content_length > limit:
            return self._error(request, 413, f"message larger than {limit} bytes")
        body = await request.content.read(limit + 1)
        if len(body) > limit:
            return self._error(request, 413, f"message larger than {limit} bytes")
        if not self.guards.limits.message(client_address(request, self.settings), conversation.id):
            return self._error(request, 429, "too many messages", **{"Retry-After": "10"})
        reply = await self.service.submit(conversation, body)
        return web.json_response(reply.frame, status=reply.status, headers=self.guards.policy.cors_headers(request))

    async def events(self, request: web.Request) -> web.StreamResponse:
        """`GET /chat/events`: the welcome with history, then live lines, until `stream_timeout`."""
        if "Origin" in request.headers and not self.guards.policy.allows(request):
            return self._error(request, 403, "origin not allowed")
        conversation = self._conversation(request)
        if conversation is None:
            return self._error(request, 401, "missing or invalid conversation token", **{"WWW-Authenticate": "Bearer"})
        address = client_address(request, self.settings)
        if not self.guards.sockets.acquire(address):
            return self._error(request, 429, "too many open chats from this address", **{"Retry-After": "30"})
        try:
            return await self._stream(request, conversation)
        finally:
            self.guards.sockets.release(address)

    async def _stream(self, request: web.Request, conversation: Conversation) -> web.StreamResponse:
        queue: asyncio.Queue[dict | None] = asyncio.Queue(STREAM_BACKLOG)

        async def push(line: dict) -> None:
            if not queue.full():
                queue.put_nowait(line)

        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no",
            **self.guards.policy.cors_headers(request),
        })
        await response.prepare(request)
        await self.service.hub.subscribe(conversation.id, push)
        self.streams.add(queue)
        try:
            welcome = self.service.welcome(conversation, await self.service.history(conversation))
            await response.write(_sse(welcome, retry_ms=2000))
            await self._relay(response, queue)
        except ConnectionResetError:
            pass
        finally:
            self.streams.discard(queue)
            await self.service.hub.unsubscribe(conversation.id, push)
        return response

    async def _relay(self, response: web.StreamResponse, queue: asyncio.Queue) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.stream_timeout.total_seconds()
        heartbeat = self.settings.heartbeat.total_seconds()
        while (left := deadline - loop.time()) > 0:
            try:
                line = await asyncio.wait_for(queue.get(), timeout=min(heartbeat, left))
            except asyncio.TimeoutError:
                await response.write(b": ping\n\n")
                continue
            if line is None:
                return
            await response.write(_sse({"type": "event", "event": line}))
            if queue.full():
                return  # the visitor fell behind: end the stream; the reconnect brings the history


    def close_all(self) -> None:
        """End every open event stream (shutdown); the widgets reconnect to another process."""
        for queue in list(self.streams):
            if not queue.full():
                queue.put_nowait(None)


def _sse(frame: dict, retry_ms: int | None = None) -> bytes:
    prefix = f"retry: {retry_ms}\n" if retry_ms else ""
    return f"{prefix}data: {json.dumps(frame)}\n\n".encode()


class StaticFiles:
    """`/chat` (the standalone page), `/chat/widget.js` and `/chat/widget.css`."""

    def __init__(self, title: str):
        page = (STATIC / "chat.html").read_text(encoding="utf-8")
        self.page = page.replace("{title}", html.escape(title, quote=True))
        self.files = {name: (STATIC / name).read_bytes() for name in ("widget.js", "widget.css")}

    async def chat_page(self, request: web.Request) -> web.Response:
        """The standalone chat page, locked down by its Content-Security-Policy."""
        return web.Response(text=self.page, content_type="text/html", headers={
            "Content-Security-Policy": PAGE_POLICY, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"})

    async def asset(self, request: web.Request) -> web.Response:
        """The widget's script or stylesheet, embeddable from any site."""
        name = request.match_info["name"]
        content_type = "text/javascript" if name.endswith(".js") else "text/css"
        return web.Response(body=self.files[name], content_type=content_type, charset="utf-8", headers={
            "Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "cross-origin"})
