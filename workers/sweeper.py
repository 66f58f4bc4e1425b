"""The sweeper: finds committed work that no job holds and queues it again.

Crashed workers, a Redis restart or a failed enqueue after commit can leave
payloads 'pending', deliveries 'pending' or 'sending', or an escalation step
overdue. The store is the source of truth; this puts the queue back in line
with it. Everything it queues is idempotent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from frontdesk.models import utcnow
from frontdesk.queue import INTAKE_BUFFER, OUTBOUND_BUFFER, PAGES, enqueue_keyed
from frontdesk.store.cases import add_event
from frontdesk.store.db import read_session
from frontdesk.store.tables import Case, Delivery, RawPayload
from workers.runtime import Runtime

log = logging.getLogger(__name__)
LIMIT = 5000


@dataclass(frozen=True)
class SweepReport:
    """How much the sweep put back in line."""

    payloads: int
    deliveries: int
    unknown: int
    escalations: int


def sweep(rt: Runtime) -> SweepReport:
    """Re-queue stale pending payloads and deliveries, settle stuck ones, re-queue overdue steps."""
    cutoff = utcnow() - rt.settings.workers.stuck_after
    unknown = _settle_stuck(rt, cutoff)
    with read_session(rt.sessions) as session:
        payloads = list(session.scalars(select(RawPayload.id).where(
            RawPayload.status == "pending", RawPayload.received_at < cutoff).limit(LIMIT)))
        deliveries = list(session.execute(select(Delivery.id, Delivery.kind, Delivery.key).where(
            Delivery.status == "pending", Delivery.updated_at < cutoff).limit(LIMIT)))
        overdue = list(session.execute(select(Case.id, Case.escalation_step).where(
            Case.escalation_due_at.is_not(None), Case.escalation_due_at < utcnow() - rt.settings.workers.sweep_interval,
            Case.acknowledged_at.is_(None)).limit(LIMIT)))
    INTAKE_BUFFER.push(rt.redis, payloads)
    OUTBOUND_BUFFER.push(rt.redis, [d.id for d in deliveries if d.kind != "page"])
    for delivery in deliveries:
        if delivery.kind == "page":
            enqueue_keyed(rt.redis, PAGES, "workers.jobs.send_deliveries", f"sweep:{delivery.key}:{utcnow():%Y%m%d%H%M}",
                          [delivery.id])
    for case_id, step in overdue:
        enqueue_keyed(rt.redis, PAGES, "workers.jobs.escalate", f"escalate:{case_id}:{step + 1}", case_id, step + 1)
    for buffer in (INTAKE_BUFFER, OUTBOUND_BUFFER):
        buffer.ensure_drain(rt.redis)
    report = SweepReport(len(payloads), len(deliveries), unknown, len(overdue))
    if any((report.payloads, report.deliveries, report.unknown, report.escalations)):
        log.warning("sweeper re-queued %s", report)
    return report


def _settle_stuck(rt: Runtime, cutoff) -> int:
    """Deliveries left 'sending' by a dead worker: re-send where harmless, else mark 'unknown'."""
    settled = 0
    with rt.sessions.begin() as session:
        for delivery in session.scalars(select(Delivery).where(
                Delivery.status == "sending", Delivery.updated_at < cutoff).limit(LIMIT)):
            sender = rt.senders.get(delivery.sender)
            if sender is not None and sender.resend_safe:
                delivery.status = "pending"
                reason = "re-sent: the sender dedupes on the delivery key"
            else:
                delivery.status = "unknown"
                reason = "worker stopped mid-send; not re-sent to avoid a duplicate"
            delivery.updated_at = cutoff - timedelta(seconds=1)  # due for this same sweep
            add_event(session, delivery.case_id, "sweeper", "delivery_outcome_unknown", delivery_id=delivery.id,
                      action=reason)
            settled += 1
    return settled
