"""A lean HTTP/1.1 load generator and receiver for bench/pipeline.py.

The benchmark shares the machine's two cores with the platform it measures:
every millisecond of CPU the load generator and the receivers spend is one the
platform's processes do not get. aiohttp's client and server cost about 0.27 ms
per message together; these plain asyncio protocols speak just enough HTTP/1.1
(keep-alive, Content-Length bodies, no chunking, no TLS) to post the
benchmark's messages and to take the platform's webhooks and Apprise json://
pages, and leave the rest of that time to the platform.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Callable

from frontdesk.demo.receivers import LoopThread

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


@dataclass
class Arrived:
    """One request the receiver took: its path, body and arrival time (time.monotonic)."""

    path: str
    body: bytes
    at: float

    def json(self):
        """The body as JSON."""
        return json.loads(self.body)


class _ReceiverProtocol(asyncio.Protocol):
    def __init__(self, sink: list[Arrived]):
        self.sink = sink
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = _content_length(head)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4:end + 4 + length]
            self.buffer = self.buffer[end + 4 + length:]
            self.sink.append(Arrived(head.split(" ", 2)[1], body, time.monotonic()))
            self.transport.write(_OK)


def _content_length(head: str) -> int:
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return int(value)
    return 0


@dataclass
class LeanReceiver:
    """Records every request it is sent and answers 200 at once; `requests` grows as they arrive."""

    requests: list[Arrived] = field(default_factory=list)
    url: str = ""

    def start(self, loop: LoopThread) -> "LeanReceiver":
        """Listen on 127.0.0.1 on a free port; `url` is set when this returns."""
        async def serve() -> str:
            server = await asyncio.get_running_loop().create_server(
                lambda: _ReceiverProtocol(self.requests), "127.0.0.1", 0)
            return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self.url = loop.call(serve())
        return self


async def post_all(host: str, port: int, path: str, token: str, bodies: Callable[[int], bytes], count: int,
                   rate: float | None, on_send: Callable[[int], None], connections: int = 64) -> float:
    """POST `count` bodies (`bodies(index)`), at `rate` per second or as fast as `connections` kept-alive
    connections allow; calls `on_send(index)` as each goes; raises on any answer but 202. Returns seconds taken."""
    started = time.monotonic()
    next_index = iter(range(count))
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: ").encode()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for index in next_index:
                if rate:
                    delay = started + index / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                body = bodies(index)
                on_send(index)
                writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
                answer = await reader.readuntil(b"\r\n\r\n")
                status = answer[9:12]
                length = _content_length(answer.decode("latin-1"))
                reply = await reader.readexactly(length) if length else b""
                if status != b"202":
                    raise SystemExit(f"POST answered {status.decode()}: {reply[:200]!r}")
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return time.monotonic() - started
