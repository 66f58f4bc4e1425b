"""A synchronous web chat client for tests: aiohttp's WebSocket and HTTP client run on the harness's loop thread,
so the test's own thread stays free to run the platform's workers."""

from __future__ import annotations

import json

import aiohttp

from tests.harness import LoopThread

TIMEOUT = 10.0


class ChatSocket:
    """One `/chat/ws` connection."""

    def __init__(self, loop: LoopThread, base_url: str, origin: str | None, autoping: bool = True):
        self.loop = loop
        self.session: aiohttp.ClientSession = loop.call(self._session())
        headers = {"Origin": origin} if origin else {}
        self.socket = loop.call(self.session.ws_connect(f"{base_url}/chat/ws", headers=headers, autoclose=False,
                                                        autoping=autoping))

    @staticmethod
    async def _session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    def send(self, frame: dict | str) -> None:
        """Send one text frame (a dict is sent as JSON)."""
        self.loop.call(self.socket.send_str(frame if isinstance(frame, str) else json.dumps(frame)))

    def receive(self, timeout: float = TIMEOUT) -> aiohttp.WSMessage:
        """The next message of any type (text, close, error)."""
        return self.loop.call(self.socket.receive(timeout=timeout), timeout=timeout + 5)

    def frame(self, timeout: float = TIMEOUT) -> dict:
        """The next text frame, decoded; fails on anything else."""
        message = self.receive(timeout)
        assert message.type == aiohttp.WSMsgType.TEXT, f"expected a text frame, got {message}"
        return json.loads(message.data)

    def frame_of(self, kind: str, timeout: float = TIMEOUT, limit: int = 20) -> dict:
        """The next frame of type `kind`, skipping others (at most `limit`)."""
        for _ in range(limit):
            frame = self.frame(timeout)
            if frame["type"] == kind:
                return frame
        raise AssertionError(f"no {kind!r} frame in {limit} frames")

    def hello(self, token: str | None = None) -> dict:
        """Send hello and return the welcome."""
        self.send({"type": "hello", "token": token})
        return self.frame_of("welcome")

    def close(self) -> None:
        """Close the socket and the client session."""
        self.loop.call(self.socket.close())
        self.loop.call(self.session.close())


def handshake_status(loop: LoopThread, base_url: str, origin: str | None) -> int:
    """The HTTP status of a refused handshake (101 when it was accepted)."""
    async def attempt() -> int:
        headers = {"Origin": origin} if origin else {}
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(f"{base_url}/chat/ws", headers=headers):
                    return 101
            except aiohttp.WSServerHandshakeError as error:
                return error.status
    return loop.call(attempt())
