"""Paging and escalation: page the person of each step, move on when nobody acknowledges.

Steps run over `rounds x chain` (router/paging.py). Each step is claimed
with a conditional UPDATE (frontdesk.store.cases.claim_escalation_step), so a
step that falls due and an acknowledgment never both win. The next step is
scheduled with RQ's scheduler under the key `escalate:<case>:<step>`; the
case row also records when it is due, so the sweeper re-queues a lost one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.models import utcnow
from frontdesk.queue import PAGES, enqueue_keyed
from frontdesk.store.cases import add_event, claim_escalation_step
from frontdesk.store.tables import Delivery
from router.paging import page_step
from workers.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class StepJobs:
    """The jobs one claimed step needs once its transaction has committed."""

    case_id: int
    step: int
    page_keys: list[tuple[str, int]] = field(default_factory=list)  # (delivery key, delivery id)
    delayed: list[tuple[int, timedelta]] = field(default_factory=list)  # (policy index, delay)
    next_after: timedelta | None = None


def begin_step(rt: Runtime, session: Session, case_id: int, step: int, message_id: str | None) -> StepJobs | None:
    """Claim escalation step `step` for the case and plan its pages; None when it is not this step's turn."""
    oncall = rt.settings.oncall
    plan = page_step(oncall, step)
    due_at = utcnow() + plan.next_step_after if plan else None
    if not claim_escalation_step(session, case_id, step, due_at):
        return None
    if plan is None:
        add_event(session, case_id, "escalation", "escalation_exhausted" if step else "no_one_on_call",
                  steps=step, detail="nobody acknowledged" if step else "no on-call roster configured")
        return StepJobs(case_id, step)
    add_event(session, case_id, "escalation", "paging", step=step, round=plan.round, person=plan.person_id,
              methods=[n.sender for n in plan.notifications])
    jobs = StepJobs(case_id, step, next_after=plan.next_step_after)
    for notification in plan.notifications:
        if notification.delay:
            jobs.delayed.append((notification.index, notification.delay))
            continue
        jobs.page_keys.append(page_delivery(session, case_id, step, plan, notification, message_id))
    return jobs


def page_delivery(session: Session, case_id: int, step: int, plan, notification, message_id: str | None
                  ) -> tuple[str, int]:
    """Create the delivery row of one page (its key makes it unique); its key and id."""
    key, now = f"page:{case_id}:{step}:{notification.index}", utcnow()
    delivery_id = session.connection().execute(_INSERT_PAGE, {
        "key": key, "case_id": case_id, "message_id": message_id, "kind": "page", "sender": notification.sender,
        "target": notification.target, "recipient": plan.person_id, "status": "pending", "attempts": 0,
        "detail": {"person_name": plan.person_name, "step": step, "round": plan.round},
        "created_at": now, "updated_at": now}).scalar_one()
    return key, delivery_id


_INSERT_PAGE = Delivery.__table__.insert().returning(Delivery.__table__.c.id)  # Core: under the write lock


def enqueue_step_jobs(rt: Runtime, jobs: StepJobs) -> None:
    """Queue the pages of a committed step, its delayed notifications and the next step."""
    for key, delivery_id in jobs.page_keys:
        enqueue_keyed(rt.redis, PAGES, "workers.jobs.send_deliveries", key, [delivery_id], timeout=60)
    for index, delay in jobs.delayed:
        enqueue_keyed(rt.redis, PAGES, "workers.jobs.notify", f"notify:{jobs.case_id}:{jobs.step}:{index}",
                      jobs.case_id, jobs.step, index, delay=delay)
    if jobs.next_after is not None:
        enqueue_keyed(rt.redis, PAGES, "workers.jobs.escalate", f"escalate:{jobs.case_id}:{jobs.step + 1}",
                      jobs.case_id, jobs.step + 1, delay=jobs.next_after)


def escalate(rt: Runtime, case_id: int, step: int) -> bool:
    """Run escalation step `step` now; False when the case was acknowledged or moved on meanwhile."""
    with rt.sessions.begin() as session:
        jobs = begin_step(rt, session, case_id, step, message_id=None)
    if jobs is None:
        return False
    enqueue_step_jobs(rt, jobs)
    return True


def notify_later(rt: Runtime, case_id: int, step: int, index: int) -> None:
    """A delayed notify step of a person's policy: page now unless the case was acknowledged."""
    from frontdesk.store.tables import Case

    plan = page_step(rt.settings.oncall, step)
    with rt.sessions.begin() as session:
        case = session.get(Case, case_id)
        if plan is None or case is None or case.acknowledged_at is not None or case.status == "resolved":
            return
        notification = next((n for n in plan.notifications if n.index == index), None)
        key = f"page:{case_id}:{step}:{index}"
        if notification is None or session.scalars(select(Delivery.id).where(Delivery.key == key)).first():
            return
        key, delivery_id = page_delivery(session, case_id, step, plan, notification, message_id=None)
    enqueue_keyed(rt.redis, PAGES, "workers.jobs.send_deliveries", key, [delivery_id], timeout=60)
