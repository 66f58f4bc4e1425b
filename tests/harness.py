"""Test harness: a real platform on loopback (server thread + in-process RQ workers) and HTTP receivers.

Tests stay synchronous: the platform's aiohttp server and every receiver run
in background threads with their own event loops, and `Platform.work()` runs
RQ SimpleWorkers in burst mode in the test's own thread until nothing is left.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import redis
import requests
from rq import SimpleWorker

from frontdesk.demo.receivers import LoopThread, Received, Receiver  # noqa: F401  (re-exported for tests)

from frontdesk.queue import QUEUE_ORDER, queue_depths
from frontdesk.server import build_services, serve_forever
from frontdesk.settings import load_settings
from workers.runtime import Runtime, install

API_TOKEN = "test-token-0123456789"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def base_settings(tmp_path, redis_url: str, database_url: str | None = None, **overrides):
    """Settings for a test: data under tmp_path, the session's Redis, SQLite unless told otherwise."""
    from frontdesk.settings import deep_merge

    data = {"data_dir": str(tmp_path / "var"), "redis_url": redis_url,
            "database_url": database_url or f"sqlite:///{tmp_path / 'var' / 'frontdesk.sqlite3'}",
            "workers": {"sweep_interval": "1s", "stuck_after": "2s", "retry_backoff": "0.2s"}}
    from config.schema import ChannelsSettings

    if "email" in ChannelsSettings.model_fields:  # several test platforms at once: no fixed SMTP port
        data["channels"] = {"email": {"smtp": {"port": 0}}}
    environ = {"FRONTDESK_API_TOKEN": API_TOKEN, "FRONTDESK_WEBHOOK_SECRET": WEBHOOK_SECRET}
    environ.update(overrides.pop("environ", {}))
    return load_settings(environ=environ, overrides=deep_merge(data, overrides))


class Platform:
    """A running Frontdesk: HTTP server in a thread, workers run on demand by `work()`."""

    def __init__(self, settings, loop: LoopThread):
        self.settings = settings
        self.loop = loop
        self.services = build_services(settings, settings.redis_url)
        self.runtime = install(Runtime(settings=settings, redis=redis.Redis.from_url(settings.redis_url),
                                       engine=self.services.sessions.kw["bind"]))
        self.stop_event: asyncio.Event | None = None
        self.port = 0
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {API_TOKEN}"

    def start(self) -> "Platform":
        """Start the HTTP server on a free loopback port."""
        ready = threading.Event()

        def on_ready(port: int) -> None:
            self.port = port
            ready.set()

        async def launch() -> None:
            self.stop_event = asyncio.Event()
            asyncio.get_running_loop().create_task(
                serve_forever(self.services, "127.0.0.1", 0, on_ready=on_ready, stop=self.stop_event))

        self.loop.call(launch())
        if not ready.wait(15):
            raise RuntimeError("platform did not start")
        return self

    @property
    def url(self) -> str:
        """Base URL of the platform's HTTP server."""
        return f"http://127.0.0.1:{self.port}"

    def post_message(self, body: dict | bytes, token: str | None = API_TOKEN, **kwargs) -> requests.Response:
        """POST /api/messages with the test token (or another, or none)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {"Authorization": ""}
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.http.post(f"{self.url}/api/messages", data=data, headers=headers, timeout=30, **kwargs)

    def work(self, rounds: int = 20, settle: float = 0.0) -> None:
        """Run burst workers until queues, buffers and due scheduled jobs are all done."""
        connection = self.runtime.redis
        for _ in range(rounds):
            SimpleWorker(list(QUEUE_ORDER), connection=connection).work(burst=True, with_scheduler=True,
                                                                        logging_level="WARNING")
            if not any(queue_depths(connection).values()):
                if settle <= 0:
                    return
                time.sleep(settle)
                settle = 0

    def stop(self) -> None:
        """Stop the HTTP server and the channel transports."""
        if self.stop_event is not None:
            self.loop.loop.call_soon_threadsafe(self.stop_event.set)
            time.sleep(0.2)
        self.runtime.close()
        self.services.metrics.flush()
