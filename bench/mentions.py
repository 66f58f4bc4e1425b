"""Mentions ingestion and the mentions page under load, on loopback.

A replayed stream of N X mentions (default 50,000: the recorded fixture texts
and authors, re-stamped over the last 24 hours) is served by the fake X API (in a child
process, as X is remote and the fake must not take our interpreter's time);
the real poller reads it page by page and hands it to intake (group commit
into SQLite, queued on the embedded Redis): that is `ingest_per_s`. Every
payload is then parsed, classified by the router's rules, scored by VADER and
indexed (`index_per_s`); a sample of 1,000 also goes through full routing
(contacts, cases, thread keys, audit, planned replies: `routing_per_s`, the
spine's cost per case). Then the page is loaded as the browser does:
`/mentions`, then the feed and the stats API in parallel, with N mentions in
the store.

    .venv/bin/python bench/mentions.py [--count 50000]

Last line: `mentions=… ingest_per_s=… index_per_s=… routing_per_s=… page_load_ms=… stats_ms=… feed_ms=…`
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds scripts named like standard modules (email.py): put the repository first instead of it.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import multiprocessing  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

import requests  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from channels.x.adapter import XAdapter  # noqa: E402
from channels.x.transport import XPoller  # noqa: E402
from frontdesk.mentions.store import Mention, mention_row  # noqa: E402
from frontdesk.models import RawInbound  # noqa: E402
from frontdesk.queue import INTAKE_BUFFER  # noqa: E402
from frontdesk.redis_server import EmbeddedRedis  # noqa: E402
from frontdesk.server import build_services  # noqa: E402
from frontdesk.settings import load_settings  # noqa: E402
from frontdesk.store.tables import RawPayload  # noqa: E402
from frontdesk.web.app import create_app  # noqa: E402
from tests.fakes.x_api import FakeXApi  # noqa: E402
from tests.mentions import replay  # noqa: E402
from workers import routing  # noqa: E402
from workers.runtime import Runtime, install  # noqa: E402

TOKEN = "bench-token-0123456789"
PAGE_RUNS = 7
ROUTED_SAMPLE = 1000


def settings_for(data_dir: Path, redis_url: str, fake_url: str, count: int):
    """Bench settings: SQLite in `data_dir`, X polling the fake, no replies (hourly cap 0)."""
    overrides = {
        "data_dir": str(data_dir), "redis_url": redis_url,
        "channels": {"x": {"enabled": True, "api_base_url": fake_url, "max_pages": 200}},
        "outbound": {"x": {"api_base_url": fake_url, "hourly_cap": 0}},
    }
    return load_settings(environ={"FRONTDESK_API_TOKEN": TOKEN, "X_BEARER_TOKEN": "bench"}, overrides=overrides)


def poll_all(services, settings, count: int) -> float:
    """Poll the whole stream into intake (committed and queued); returns the seconds it took.

    The first poll takes the newest 200 pages; the cursor's gap brings in the older ones on the next polls.
    """
    cursors = services.adapters["x"].context.cursors
    poller = XPoller(settings.channels.x, cursors)
    cursors.set(poller.cursor_name("mentions"), {"since_id": "1"})
    started = time.perf_counter()
    for _ in range(count // 20_000 + 3):
        asyncio.run(poller.poll("mentions", services.intake.accept))
        if "until_id" not in (cursors.get(poller.cursor_name("mentions")) or {}):
            break
    return time.perf_counter() - started


def index_all(services, rt: Runtime) -> float:
    """Parse, classify and index every committed mention as routing does, without opening cases; seconds taken."""
    started = time.perf_counter()
    with services.sessions.begin() as session:
        raws = session.execute(select(RawPayload.id, RawPayload.received_at, RawPayload.body,
                                      RawPayload.idempotency_key)).all()
        for chunk in range(0, len(raws), 2000):
            for raw_id, received_at, body, key in raws[chunk:chunk + 2000]:
                message = XAdapter.parse(RawInbound(id=raw_id, channel="x", external_id=key.removeprefix("x:"),
                                                   received_at=received_at, body=body))
                urgency = rt.router.classify(message).urgency
                session.add(mention_row(message, urgency, None))
            session.flush()
    return time.perf_counter() - started


def route_sample(services, rt: Runtime, sample: int) -> float:
    """Route `sample` queued mentions through the full pipeline (cases, acknowledgments); messages per second."""
    ids = INTAKE_BUFFER.take(services.redis, sample)
    started = time.perf_counter()
    for chunk in range(0, len(ids), rt.settings.workers.batch_size):
        routing.route_batch(rt, ids[chunk:chunk + rt.settings.workers.batch_size])
    return len(ids) / (time.perf_counter() - started)


def serve(services) -> tuple[str, threading.Event]:
    """The platform's web app on a loopback port in a thread; returns its URL and a stop event."""
    ready, stop, box = threading.Event(), threading.Event(), {}

    async def run() -> None:
        runner = web.AppRunner(create_app(services), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        box["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await runner.cleanup()

    threading.Thread(target=lambda: asyncio.run(run()), daemon=True).start()
    ready.wait(15)
    return box["url"], stop


def page_load(url: str) -> tuple[float, float, float]:
    """Median ms of: the whole page load (HTML, then feed and stats in parallel), the stats call, the feed call."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"

    def timed(path: str) -> float:
        started = time.perf_counter()
        response = session.get(url + path, timeout=30)
        response.raise_for_status()
        return (time.perf_counter() - started) * 1000

    totals, stats, feeds = [], [], []
    with ThreadPoolExecutor(2) as pool:
        for _ in range(PAGE_RUNS):
            started = time.perf_counter()
            timed("/mentions")
            feed, stat = pool.map(timed, ["/api/mentions?limit=100", "/api/mentions/stats?hours=24"])
            totals.append((time.perf_counter() - started) * 1000)
            feeds.append(feed)
            stats.append(stat)
    return statistics.median(totals), statistics.median(stats), statistics.median(feeds)


def serve_fake(count: int, urls, stop) -> None:
    """Child process: the fake X API serving the replayed stream, so it does not share our GIL (X is remote)."""
    fake = FakeXApi()
    fake.add_page(replay.page(replay.stream(count, hours=24)))
    with fake.serve() as api:
        urls.put(api.url)
        stop.wait(3600)


def measure(count: int, data_dir: Path, redis_url: str, fake_url: str) -> dict[str, float]:
    """Ingest, index, route a sample, then load the page; the figures of one run."""
    settings = settings_for(data_dir, redis_url, fake_url, count)
    services = build_services(settings, redis_url)
    rt = install(Runtime(settings=settings, redis=services.redis, engine=services.sessions.kw["bind"]))
    polled = poll_all(services, settings, count)
    indexed = index_all(services, rt)
    routed_per_s = route_sample(services, rt, ROUTED_SAMPLE)
    with services.sessions() as session:
        assert session.scalar(select(func.count(Mention.id))) == count
    url, stop = serve(services)
    total_ms, stats_ms, feed_ms = page_load(url)
    stop.set()
    return {"polled": polled, "indexed": indexed, "routed_per_s": routed_per_s, "total_ms": total_ms,
            "stats_ms": stats_ms, "feed_ms": feed_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    count = parser.parse_args().count
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedRedis(Path(tmp) / "redis").start()
        urls, fake_stop = multiprocessing.Queue(), multiprocessing.Event()
        fake = multiprocessing.Process(target=serve_fake, args=(count, urls, fake_stop), daemon=True)
        fake.start()
        try:
            figures = measure(count, Path(tmp) / "var", server.url, urls.get(timeout=300))
        finally:
            fake_stop.set()
            fake.join(10)
            server.stop()
    polled, indexed = figures["polled"], figures["indexed"]
    print(f"stream: {count} mentions polled, committed and queued in {polled:.1f}s; parsed, scored and indexed "
          f"in {indexed:.1f}s; full routing (cases, acknowledgments) of {ROUTED_SAMPLE}: "
          f"{figures['routed_per_s']:.0f}/s")
    print(f"mentions={count} ingest_per_s={count / polled:.0f} index_per_s={count / indexed:.0f} "
          f"routing_per_s={figures['routed_per_s']:.0f} page_load_ms={figures['total_ms']:.0f} "
          f"stats_ms={figures['stats_ms']:.0f} feed_ms={figures['feed_ms']:.0f}")


if __name__ == "__main__":
    main()
