"""Loopback HTTP receivers that record what they are sent (acknowledgment webhooks, Apprise json:// pages).

Used by `frontdesk demo` and by the test suite. Each runs an aiohttp server
on 127.0.0.1 (a free port) in a background thread's event loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


class LoopThread:
    """An asyncio event loop in a daemon thread."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="frontdesk-loop")
        self.thread.start()

    def call(self, coroutine, timeout: float = 30):
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        """Cancel what still runs on the loop (a server's handlers of kept-alive connections), then stop the
        loop and its thread: a task left pending is destroyed with a warning when the loop goes."""
        try:
            self.call(_cancel_others(), timeout=5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)


async def _cancel_others() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class Received:
    """One request a Receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every request; answers `status` after `delay` seconds (both settable while running)."""

    status: int = 200
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    arrived: threading.Event = field(default_factory=threading.Event)

    def start(self, loop: LoopThread) -> "Receiver":
        """Listen on 127.0.0.1 on a free port; `url` is set when this returns."""
        self.url = loop.call(self._serve())
        return self

    async def _serve(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(Received(request.path, dict(request.headers), body))
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response({"ok": self.status < 400}, status=self.status)

    def on(self, path: str) -> list[Received]:
        """Requests received on this path."""
        return [item for item in self.requests if item.path == path]

    def under(self, prefix: str) -> list[Received]:
        """Requests received on paths starting with `prefix`."""
        return [item for item in self.requests if item.path.startswith(prefix)]
