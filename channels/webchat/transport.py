"""The web chat's WebSocket at `/chat/ws`.

WebSocket protocol, RFC 6455 (https://www.rfc-editor.org/rfc/rfc6455), served
by aiohttp (https://docs.aiohttp.org/en/stable/web_reference.html#websocketresponse);
the frames are Frontdesk's own (docs/channels/webchat.md). The Origin header is
checked before the upgrade; a frame over the size limit closes the socket
with 1009, a flood with 1008, a socket that says nothing for `idle_timeout`
with 4000; aiohttp's heartbeat pings drop peers that vanished.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets

from aiohttp import WSCloseCode, WSMsgType, web

from channels.webchat.guard import Guards, client_address
from channels.webchat.service import ChatService
from channels.webchat.tokens import Conversation
from frontdesk.web.responses import json_error

log = logging.getLogger(__name__)
IDLE = 4000  # application close code (RFC 6455 section 7.4.2): idle for too long; the widget waits for the visitor
MAX_CLOSE_WAIT = 5.0


class SocketEndpoint:
    """Accepts sockets, speaks the frame protocol, and tracks open sockets so shutdown can close them."""

    def __init__(self, service: ChatService, guards: Guards):
        self.service = service
        self.settings = service.settings
        self.guards = guards
        self.open: set[web.WebSocketResponse] = set()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """`GET /chat/ws`: refuse foreign origins and over-cap addresses before upgrading."""
        if not self.guards.policy.allows(request):
            return json_error(403, "origin not allowed")
        address = client_address(request, self.settings)
        if not self.guards.sockets.acquire(address):
            return json_error(429, "too many open chats from this address", headers={"Retry-After": "30"})
        socket = web.WebSocketResponse(
            heartbeat=self.settings.heartbeat.total_seconds(), max_msg_size=self.settings.max_message_bytes,
            compress=False, timeout=MAX_CLOSE_WAIT,
        )
        try:
            await socket.prepare(request)
            self.open.add(socket)
            conversation = await self._hello(socket, address)
            if conversation is not None:
                await self._converse(socket, conversation, address)
        finally:
            self.open.discard(socket)
            self.guards.sockets.release(address)
        return socket

    async def _hello(self, socket: web.WebSocketResponse, address: str) -> Conversation | None:
        try:
            message = await socket.receive(timeout=self.settings.hello_timeout.total_seconds())
        except asyncio.TimeoutError:
            await socket.close(code=WSCloseCode.POLICY_VIOLATION, message=b"no hello")
            return None
        if message.type != WSMsgType.TEXT:
            if message.type == WSMsgType.BINARY:
                await socket.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"text frames only")
            return None
        try:
            hello = json.loads(message.data)
        except ValueError:
            hello = None
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            await socket.close(code=WSCloseCode.POLICY_VIOLATION, message=b"expected hello")
            return None
        conversation = self.service.signer.verify(hello.get("token"))
        if conversation is None:
            if not self.guards.limits.new_conversation(address):
                await socket.close(code=WSCloseCode.POLICY_VIOLATION, message=b"too many new conversations")
                return None
            conversation = self.service.signer.issue()
        return conversation

    async def _converse(self, socket: web.WebSocketResponse, conversation: Conversation, address: str) -> None:
        async def push(line: dict) -> None:
            if not socket.closed:
                await socket.send_str(json.dumps({"type": "event", "event": line}))

        await self.service.hub.subscribe(conversation.id, push)
        try:
            events = await self.service.history(conversation)
            await socket.send_str(json.dumps(self.service.welcome(conversation, events)))
            await self._receive_loop(socket, conversation, address)
        finally:
            await self.service.hub.unsubscribe(conversation.id, push)

    async def _receive_loop(self, socket: web.WebSocketResponse, conversation: Conversation, address: str) -> None:
        connection = secrets.token_hex(8)
        idle = self.settings.idle_timeout.total_seconds()
        while not socket.closed:
            try:
                message = await socket.receive(timeout=idle)
            except asyncio.TimeoutError:
                await socket.close(code=IDLE, message=b"idle")
                return
            if message.type == WSMsgType.BINARY:
                await socket.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"text frames only")
                return
            if message.type != WSMsgType.TEXT:
                return  # closing, closed, or an error (too big: aiohttp has closed with 1009)
            if not self.guards.limits.message(address, connection):
                await socket.close(code=WSCloseCode.POLICY_VIOLATION, message=b"rate limit")
                return
            reply = await self.service.submit(conversation, message.data.encode())
            if not socket.closed:
                await socket.send_str(json.dumps(reply.frame))

    async def close_all(self) -> None:
        """Close every open socket with 1001 (going away); the widgets reconnect to another process."""
        await asyncio.gather(*(socket.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
                               for socket in list(self.open)), return_exceptions=True)

