"""Verifying the chains with several processes, one range of case ids each.

Each chain lies within one case, so ranges verify independently; the
anchor is the same as a single process computes, because the workers hand
back their `<case>:<seq>:<hash>` lines and the parent hashes them in case
order. Each worker reads its own snapshot.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import func, select

from frontdesk.audit.verify import BATCH, VerifyReport, verify_chains
from frontdesk.store.db import make_engine, make_sessions
from frontdesk.store.tables import Case


def verify_in_parallel(database_url: str, jobs: int, batch: int = BATCH) -> VerifyReport:
    """Verify every case's chain with `jobs` processes; the same report as `verify_chains` gives."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            low, high = connection.execute(select(func.min(Case.id), func.max(Case.id))).one()
    finally:
        engine.dispose()
    if low is None or jobs <= 1:
        return _verify_range((database_url, (low or 0, high or 0), batch), keep_anchor=True)
    step = (high - low) // jobs + 1
    ranges = [(start, min(high, start + step - 1)) for start in range(low, high + 1, step)]
    # fork: the workers start at once; each makes its own engine and leaves the parent's connections alone.
    with ProcessPoolExecutor(len(ranges), mp_context=multiprocessing.get_context("fork")) as pool:
        parts = list(pool.map(_verify_range, [(database_url, bounds, batch) for bounds in ranges]))
    report = VerifyReport()
    for part in parts:
        report.cases += part.cases
        report.events += part.events
        report.tombstones += part.tombstones
        report.broken += part.broken
        report._anchor.update(b"".join(part.anchor_input))
    return report


def _verify_range(arguments: tuple[str, tuple[int, int], int], keep_anchor: bool = False) -> VerifyReport:
    database_url, bounds, batch = arguments
    engine = make_engine(database_url)
    try:
        report = verify_chains(make_sessions(engine), batch=batch, case_range=bounds,
                               report=VerifyReport(anchor_input=None if keep_anchor else []))
    finally:
        engine.dispose()
    if not keep_anchor:
        report._anchor = None  # a hash object cannot cross processes; anchor_input carries its input
    return report
