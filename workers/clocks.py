"""The periodic job of the response-time clocks (listed in workers.periodic.PERIODIC)."""

from __future__ import annotations

import time

from frontdesk.clocks.clocks import ClockPolicy
from frontdesk.clocks.watch import check_clocks
from frontdesk.models import utcnow
from frontdesk.queue import PAGES, enqueue_keyed
from workers.runtime import runtime

CHECK_BUDGET_SECONDS = 60.0


def check() -> dict:
    """Check every live case's clocks in batches, within a time budget; send the warnings."""
    rt = runtime()
    if not rt.settings.clocks.enabled:
        return {"checked": 0}
    policy, now = ClockPolicy(rt.settings.clocks), utcnow()
    totals = {"checked": 0, "warned": 0, "breached": 0}
    after_id: int | None = 0
    deadline = time.monotonic() + CHECK_BUDGET_SECONDS
    while after_id is not None and time.monotonic() < deadline:
        with rt.sessions.begin() as session:
            result, after_id = check_clocks(session, policy, rt.settings.oncall, rt.metrics, now, after_id)
        for key, delivery_id in result.alerts:
            enqueue_keyed(rt.redis, PAGES, "workers.jobs.send_deliveries", key, [delivery_id], timeout=60)
        for name in totals:
            totals[name] += getattr(result, name)
    rt.metrics.flush()
    return totals
