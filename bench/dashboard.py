"""Dashboard server time: the case list and the case page over a large store, in SQLite and PostgreSQL.

Fills a fresh store with `--cases` cases (one message, one sent acknowledgment
each) and `--events` audit events spread over them, in bulk inserts; serves the
real aiohttp app on loopback; signs in; then times `--requests` GETs of each
page kind (unfiltered list, filtered lists, an older page, random case pages).
Times are loopback round trips, so they bound the server time from above. The
fill stops early, saying so, when it runs past `--fill-budget` seconds.
Last line: `sqlite_list_p95_ms=… sqlite_case_p95_ms=… postgres_list_p95_ms=… …`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

# The bench folder holds scripts named like standard modules (email.py): run from the project root instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from bench.audit import drop_postgres, postgres_url  # noqa: E402
from frontdesk.auth.accounts import hash_password  # noqa: E402
from frontdesk.models import CATEGORIES, URGENCIES, utcnow  # noqa: E402
from frontdesk.redis_server import EmbeddedRedis  # noqa: E402
from frontdesk.settings import load_settings  # noqa: E402
from frontdesk.store.db import make_engine, make_sessions, migrate  # noqa: E402
from frontdesk.store.tables import (  # noqa: E402
    Case, CaseEvent, Contact, ContactIdentity, Delivery, MessageRow, RawPayload,
)

PASSWORD = "bench password 0123"
CHANNELS = ("email", "webchat", "api", "slack", "x")
STATUSES = ("open", "acknowledged", "resolved")
CHUNK = 2000


def _case_rows(first: int, last: int, contacts: int, now, rng: random.Random) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {"cases": [], "raw": [], "messages": [], "deliveries": []}
    for case_id in range(first, last + 1):
        opened = now - timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
        status = rng.choice(STATUSES)
        channel, urgency = rng.choice(CHANNELS), rng.choice(URGENCIES)
        contact_id = rng.randrange(1, contacts + 1)
        message_id = f"01BENCH{case_id:019d}"
        rows["cases"].append(dict(
            id=case_id, status=status, urgency=urgency, categories=[rng.choice(CATEGORIES)], reasons=[
                {"source": "rule", "detail": "bench"}], channel=channel, contact_id=contact_id,
            subject=f"Complaint {case_id} about order", flags=[], opened_at=opened, updated_at=opened,
            last_message_at=opened, message_count=1, acknowledged_at=opened if status != "open" else None,
            acknowledged_by="bench" if status != "open" else None,
            resolved_at=opened + timedelta(hours=5) if status == "resolved" else None))
        rows["raw"].append(dict(id=message_id, idempotency_key=f"bench:{case_id}", channel=channel, received_at=opened,
                                content_type="application/json", body=b"{}", meta={}, status="routed"))
        rows["messages"].append(dict(
            id=message_id, idempotency_key=f"bench:{case_id}", case_id=case_id, contact_id=contact_id,
            channel=channel, external_id=str(case_id), subject=f"Complaint {case_id} about order",
            text="The parcel arrived damaged and nobody answers the phone. " * 4, sent_at=opened,
            received_at=opened, routed_at=opened, urgency=urgency, categories=[], reasons=[], scores={},
            flags=[], reply_to={}, attachments=[]))
        rows["deliveries"].append(dict(key=f"ack:{message_id}", case_id=case_id, message_id=message_id, kind="ack",
                                       sender=channel, target="bench", recipient=str(contact_id), status="sent",
                                       detail={}, created_at=opened, updated_at=opened + timedelta(minutes=1)))
    return rows


def fill(sessions, cases: int, events: int, contacts: int, budget: float) -> tuple[int, int]:
    """Bulk-insert the store; returns the cases and events written (fewer when the budget ran out)."""
    rng, now, started = random.Random(7), utcnow(), time.monotonic()
    with sessions.begin() as session:
        for first in range(1, contacts + 1, CHUNK):
            ids = range(first, min(contacts, first + CHUNK - 1) + 1)
            session.execute(insert(Contact.__table__), [dict(id=i, name=f"Person {i}", email=f"p{i}@example.org",
                                                   created_at=now) for i in ids])
            session.execute(insert(ContactIdentity.__table__), [dict(contact_id=i, channel="email", handle=f"p{i}@example.org",
                                                           verified=True, linked_by="channel") for i in ids])
    per_case, written_cases, written_events = max(1, events // cases), 0, 0
    for first in range(1, cases + 1, CHUNK):
        if time.monotonic() - started > budget:
            print(f"fill budget of {budget:.0f}s spent after {written_cases} cases", file=sys.stderr)
            break
        last = min(cases, first + CHUNK - 1)
        rows = _case_rows(first, last, contacts, now, rng)
        event_rows = [dict(case_id=case_id, seq=seq, at=now, actor="router", kind="message_added",
                           data={"message_id": f"01BENCH{case_id:019d}", "channel": "email", "seq": seq})
                      for case_id in range(first, last + 1) for seq in range(1, per_case + 1)]
        with sessions.begin() as session:
            session.execute(insert(Case.__table__), rows["cases"])
            session.execute(insert(RawPayload.__table__), rows["raw"])
            session.execute(insert(MessageRow.__table__), rows["messages"])
            session.execute(insert(Delivery.__table__), rows["deliveries"])
            session.execute(insert(CaseEvent.__table__), event_rows)
        written_cases, written_events = last, written_events + len(event_rows)
    with sessions.begin() as session:
        session.execute(text("ANALYZE"))  # what autovacuum or a nightly job would have done on a real store
    print(f"filled {written_cases} cases, {written_events} events in {time.monotonic() - started:.0f}s",
          file=sys.stderr)
    return written_cases, written_events


class Server:
    """The real app (dashboard included, channel transports not started) on a loopback port, in a thread."""

    def __init__(self, settings):
        from frontdesk.server import build_services
        from frontdesk.web.app import create_app

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.app = create_app(build_services(settings, settings.redis_url, check_policy=False))
        self.runner = web.AppRunner(self.app, access_log=None)
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(60)

    async def _start(self) -> str:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    def stop(self) -> None:
        """Stop serving and end the thread."""
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def signed_in(url: str) -> requests.Session:
    """A session signed in as the bench's admin."""
    import re

    session = requests.Session()
    form = session.get(f"{url}/login", timeout=30).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    answer = session.post(f"{url}/login", data={"username": "bench", "password": PASSWORD, "csrf": csrf}, timeout=30)
    answer.raise_for_status()
    return session


def timed(session: requests.Session, urls: list[str]) -> list[float]:
    """Milliseconds per GET, each checked for a 200."""
    times = []
    for url in urls:
        started = time.perf_counter()
        answer = session.get(url, timeout=60)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"GET {url}: {answer.status_code}")
    return times


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    return sorted(values)[max(0, int(len(values) * 0.95 + 0.999) - 1)]


def measure(name: str, url: str, args, redis_url: str, data_dir: str) -> dict[str, float]:
    """Fill a store at `url`, serve it, and time list and case pages; returns this backend's figures."""
    engine = make_engine(url)
    migrate(engine)
    cases, events = fill(make_sessions(engine), args.cases, args.events, args.contacts, args.fill_budget)
    engine.dispose()
    operator = {"username": "bench", "role": "admin", "password_hash": hash_password(PASSWORD)}
    settings = load_settings(environ={"FRONTDESK_SESSION_SECRET": "bench-secret"}, overrides={
        "database_url": url, "redis_url": redis_url, "data_dir": data_dir, "dashboard": {"operators": [operator]}})
    server = Server(settings)
    try:
        session, rng = signed_in(server.url), random.Random(11)
        lists = [f"{server.url}/", f"{server.url}/?status=open", f"{server.url}/?urgency=critical",
                 f"{server.url}/?category=financial&channel=email", f"{server.url}/?contact=p77%40example.org",
                 f"{server.url}/?before={cases // 2}"]
        timed(session, lists)  # warm caches and connections
        list_ms = timed(session, [lists[i % len(lists)] for i in range(args.requests)])
        for index, address in enumerate(lists):
            print(f"  {address.removeprefix(server.url)}: p95 {p95(list_ms[index::len(lists)]):.1f} ms", file=sys.stderr)
        case_ms = timed(session, [f"{server.url}/cases/{rng.randrange(1, cases + 1)}" for _ in range(args.requests)])
    finally:
        server.stop()
    print(f"{name}: {cases} cases, {events} events; list p50 {statistics.median(list_ms):.1f} ms p95 "
          f"{p95(list_ms):.1f} ms; case p50 {statistics.median(case_ms):.1f} ms p95 {p95(case_ms):.1f} ms",
          file=sys.stderr)
    return {f"{name}_cases": cases, f"{name}_events": events, f"{name}_list_p95_ms": p95(list_ms),
            f"{name}_case_p95_ms": p95(case_ms)}


def main() -> None:
    """Run on SQLite, then on PostgreSQL when one answers on loopback; print the figures on the last line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--fill-budget", type=float, default=300.0, help="seconds of filling per backend at most")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        redis_server = EmbeddedRedis(Path(folder) / "redis").start()
        try:
            figures.update(measure("sqlite", f"sqlite:///{folder}/bench.sqlite3", args, redis_server.url, folder))
            pg = postgres_url()
            if pg:
                try:
                    figures.update(measure("postgres", pg, args, redis_server.url, folder))
                finally:
                    drop_postgres(pg)
        finally:
            redis_server.stop()
    print(" ".join(f"{key}={value:.0f}" if float(value).is_integer() else f"{key}={value:.1f}"
                   for key, value in figures.items()))


if __name__ == "__main__":
    main()
