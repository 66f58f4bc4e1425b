"""Audit verification speed: events per second that `frontdesk audit verify` recomputes.

Builds a store with `--cases` cases and `--events` chained events (written in
bulk with the same hashing as the product), then times the verification with
one process and with `--jobs` (default: the CPU count; `frontdesk audit verify
--jobs`) on SQLite and, when one answers on 127.0.0.1:5432,
PostgreSQL. Last line: `sqlite_events_per_s=… sqlite_events_per_s_2procs=…
postgres_events_per_s=… postgres_events_per_s_2procs=…`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path

# Scripts in bench/ may be named like stdlib modules (bench/email.py): keep bench/ itself off the path.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, update  # noqa: E402

from frontdesk.audit.chain import GENESIS, content_digest, link_hash, normalise  # noqa: E402
from frontdesk.audit.parallel import verify_in_parallel  # noqa: E402
from frontdesk.models import utcnow  # noqa: E402
from frontdesk.store.db import make_engine, make_sessions, migrate  # noqa: E402
from frontdesk.store.tables import Case, CaseEvent, Contact  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def populate(sessions, cases: int, events: int) -> None:
    """Write `cases` cases with `events` chained events spread over them."""
    now = utcnow()
    per_case = max(1, events // cases)
    with sessions.begin() as session:
        session.execute(insert(Contact), [{"id": 1, "name": "bench", "created_at": now}])
    for start in range(0, cases, 2000):
        ids = range(start + 1, min(cases, start + 2000) + 1)
        case_rows, event_rows, heads = [], [], []
        for case_id in ids:
            case_rows.append(dict(id=case_id, status="open", urgency="normal", channel="api", contact_id=1,
                                  opened_at=now, updated_at=now, last_message_at=now, categories=[], reasons=[],
                                  flags=[]))
            previous = GENESIS
            for seq in range(1, per_case + 1):
                data, text = normalise({"message_id": f"01J{case_id:08d}{seq:04d}", "channel": "api",
                                        "urgency": "normal", "reasons": [{"source": "rule", "detail": "bench"}]})
                salt = secrets.token_hex(8)
                digest = content_digest(salt, now, "router", "message_added", text)
                link = link_hash(previous, case_id, seq, digest)
                event_rows.append(dict(case_id=case_id, seq=seq, at=now, actor="router", kind="message_added",
                                       data=data, salt=salt, digest=digest, prev_hash=previous, hash=link))
                previous = link
            heads.append((case_id, per_case, previous))
        with sessions.begin() as session:
            session.execute(insert(Case), case_rows)
            session.execute(insert(CaseEvent), event_rows)
            for case_id, seq, head in heads:
                session.execute(update(Case).where(Case.id == case_id).values(event_seq=seq, chain_head=head))


def measure(url: str, cases: int, events: int, jobs: int) -> tuple[float, float]:
    """Populate a fresh store at `url`; verified events per second with one process and with `jobs`."""
    engine = make_engine(url)
    migrate(engine)
    populate(make_sessions(engine), cases, events)
    engine.dispose()
    rates = []
    for processes in (1, jobs):
        started = time.perf_counter()
        report = verify_in_parallel(url, processes)
        elapsed = time.perf_counter() - started
        if not report.ok:
            raise SystemExit(f"bench store does not verify: {report.first}")
        rates.append(report.events / elapsed)
        print(f"{url.split(':', 1)[0]}, {processes} process(es): {report.events} events in {report.cases} cases "
              f"verified in {elapsed:.2f}s = {rates[-1]:,.0f} events/s", file=sys.stderr)
    return rates[0], rates[1]


def postgres_url() -> str | None:
    """A fresh PostgreSQL database for the bench, or None when none answers."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=2) as connection:
            name = f"frontdesk_bench_{uuid.uuid4().hex[:10]}"
            connection.execute(f'CREATE DATABASE "{name}"')
            return PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    except Exception:
        return None


def drop_postgres(url: str) -> None:
    """Drop the bench database."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def main() -> None:
    """Run the bench and print the headline figures on the last line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes of the parallel run")
    args = parser.parse_args()
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        figures["sqlite_events_per_s"], figures[f"sqlite_events_per_s_{args.jobs}procs"] = measure(
            url, args.cases, args.events, args.jobs)
    url = postgres_url()
    if url:
        try:
            figures["postgres_events_per_s"], figures[f"postgres_events_per_s_{args.jobs}procs"] = measure(
                url, args.cases, args.events, args.jobs)
        finally:
            drop_postgres(url)
    print(" ".join(f"{name}={value:.0f}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
