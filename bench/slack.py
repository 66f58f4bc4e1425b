"""Slack intake latency: signed Events API POSTs to `/slack/events`, time to the 200.

Runs the real server pieces on loopback: an embedded redis-server, a SQLite
store in a temporary data directory, durable intake with group commit, the
slack-bolt app (signature checked on every request) and the fake Slack Web
API for `auth.test`. Events are sent at a fixed rate (default 50/s for 10 s),
then the same number again in bursts (each second's events all at once).
Slack gives up after 3 s; the figure to watch is p99.

    .venv/bin/python bench/slack.py [--rate 50] [--seconds 10]

The last line holds the headline figures as name=value pairs.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The repository instead of bench/ itself, where a script named like a module (email.py) would shadow it.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from aiohttp import ClientSession, TCPConnector, web  # noqa: E402

from frontdesk.redis_server import EmbeddedRedis  # noqa: E402
from frontdesk.server import build_services  # noqa: E402
from frontdesk.settings import load_settings  # noqa: E402
from frontdesk.web.app import create_app  # noqa: E402
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackApi  # noqa: E402

SECRET = "bench-signing-secret"
FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "slack" / "event_callback__app_mention.json"


def signed(payload: dict) -> tuple[bytes, dict[str, str]]:
    """The body and the headers Slack would send for it."""
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=" + digest}


async def post_one(http: ClientSession, url: str, index: int, run: str) -> float:
    """Send one app_mention with a fresh event_id; the seconds until its 200."""
    payload = json.loads(FIXTURE.read_text())
    payload["event_id"] = f"EvBench{run}{index:06d}"
    payload["event"]["ts"] = payload["event"]["event_ts"] = f"{1700000000 + index}.000100"
    body, headers = signed(payload)
    started = time.perf_counter()
    async with http.post(url, data=body, headers=headers) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"event {index}: HTTP {response.status}")
    return time.perf_counter() - started


async def send_at_rate(url: str, rate: int, seconds: int, run: str, burst: bool) -> list[float]:
    """Send rate x seconds events, spread evenly or a second's worth at a time; their latencies."""
    async with ClientSession(connector=TCPConnector(limit=0)) as http:
        start = time.perf_counter()
        tasks = []
        for index in range(rate * seconds):
            due = start + (index // rate if burst else index / rate)
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(post_one(http, url, index, run)))
        return list(await asyncio.gather(*tasks))


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile, in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def main(rate: int, seconds: int) -> str:
    with tempfile.TemporaryDirectory() as data_dir, EmbeddedRedis(Path(data_dir)) as redis_server, FakeSlackApi() as fake:
        environ = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN}
        settings = load_settings(environ=environ, overrides={
            "data_dir": data_dir, "channels": {"slack": {"enabled": True, "api_url": fake.base_url}}})
        services = build_services(settings, redis_server.url)
        runner = web.AppRunner(create_app(services), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/slack/events"
        try:
            await send_at_rate(url, 5, 1, "warm", burst=False)
            steady = await send_at_rate(url, rate, seconds, "steady", burst=False)
            bursts = await send_at_rate(url, rate, seconds, "burst", burst=True)
        finally:
            await runner.cleanup()
            services.redis.close()
    print(f"steady {rate}/s: n={len(steady)} mean={statistics.mean(steady) * 1000:.1f}ms")
    print(f"bursts of {rate}: n={len(bursts)} mean={statistics.mean(bursts) * 1000:.1f}ms")
    return (f"slack_events={len(steady) + len(bursts)} rate_per_s={rate} p50_ms={percentile(steady, 0.5):.1f} "
            f"p99_ms={percentile(steady, 0.99):.1f} max_ms={max(steady) * 1000:.1f} "
            f"burst_p99_ms={percentile(bursts, 0.99):.1f} burst_max_ms={max(bursts) * 1000:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=50, help="events per second")
    parser.add_argument("--seconds", type=int, default=10, help="how long each phase lasts")
    arguments = parser.parse_args()
    print(asyncio.run(main(arguments.rate, arguments.seconds)))
