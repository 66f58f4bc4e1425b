"""RQ job functions. Each takes ids only, reaches the rest through workers.runtime, and calls
router/ and outbound/ through the modules here; none holds a business rule itself.
"""

from __future__ import annotations

import logging
import time

from frontdesk.queue import INTAKE_BUFFER, OUTBOUND_BUFFER, Buffer
from workers import delivery, escalation, routing, sweeper
from workers.runtime import Runtime, runtime

log = logging.getLogger(__name__)
DRAIN_BUDGET_SECONDS = 0.25  # then the job yields, so that escalation steps, retries and other deliveries get a turn


def drain_intake() -> int:
    """Route buffered messages in batches until the buffer is empty or the time budget is spent."""
    rt = runtime()
    return _drain(rt, INTAKE_BUFFER, lambda ids: routing.route_batch(rt, ids).routed)


def drain_outbound() -> int:
    """Send buffered deliveries in batches until the buffer is empty or the time budget is spent."""
    rt = runtime()
    return _drain(rt, OUTBOUND_BUFFER, lambda ids: len(delivery.deliver_many(rt, [int(i) for i in ids])))


def _drain(rt: Runtime, buffer: Buffer, work) -> int:
    buffer.release(rt.redis)
    done = 0
    deadline = time.monotonic() + DRAIN_BUDGET_SECONDS
    while time.monotonic() < deadline:
        ids = buffer.take(rt.redis, rt.settings.workers.batch_size)
        if not ids:
            break
        # More is waiting: keep a drain job queued so an idle worker joins in now, not when this job ends
        # (it queued the next one only at its end, and a worker that finished meanwhile sat idle).
        buffer.ensure_drain(rt.redis)
        try:
            done += work(ids)
        except Exception:
            # The ids are still 'pending' in the store; put them back so nothing waits for the sweeper.
            buffer.push(rt.redis, ids)
            raise
    buffer.ensure_drain(rt.redis)
    return done


def send_deliveries(delivery_ids: list[int]) -> int:
    """Send these deliveries now (pages, retries)."""
    return len(delivery.deliver_many(runtime(), [int(i) for i in delivery_ids]))


def escalate(case_id: int, step: int) -> bool:
    """Escalation step `step` of a case falls due."""
    return escalation.escalate(runtime(), case_id, step)


def notify(case_id: int, step: int, index: int) -> None:
    """A delayed step of a person's notification policy falls due."""
    escalation.notify_later(runtime(), case_id, step, index)


def sweep() -> dict:
    """Put committed work that no job holds back on the queues."""
    return sweeper.sweep(runtime()).__dict__


def refresh_pages(case_id: int) -> int:
    """A case changed state: rewrite the pages already sent for it, where the sender can."""
    return delivery.refresh_pages(runtime(), case_id)
