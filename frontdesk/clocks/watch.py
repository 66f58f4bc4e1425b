"""The periodic clock check: warn the assignee or on-call person once before a breach, record each breach once.

A row of `case_clocks` per (case, clock, state) with a unique constraint is
what makes "once" hold across re-runs and racing workers; the breach is also
an event on the case and a `clock_breaches` metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from config.schema import OncallSettings
from frontdesk.clocks.clocks import Clock, ClockPolicy, case_times, delivery_times
from frontdesk.models import utcnow
from frontdesk.store.cases import add_event
from frontdesk.store.tables import Base, BigId, Case, Delivery

# Cases per transaction: on SQLite each one holds the only write lock while it reads and computes (about
# 85 ms for 2,000 cases here), and intake and routing wait for it; the whole check costs the same in smaller steps.
BATCH = 500
RECENTLY_RESOLVED = timedelta(days=1)


class CaseClock(Base):
    """A clock state reached once by a case: `warned` or `breached`."""

    __tablename__ = "case_clocks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    clock: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column()
    __table_args__ = (UniqueConstraint("case_id", "clock", "state", name="uq_case_clock_state"),
                      Index("ix_case_clocks_at", "at"))


@dataclass
class CheckResult:
    """What one check did; `alerts` are delivery ids to send once the transaction has committed."""

    checked: int = 0
    warned: int = 0
    breached: int = 0
    alerts: list[tuple[str, int]] = field(default_factory=list)


def check_clocks(session: Session, policy: ClockPolicy, oncall: OncallSettings, metrics, now: datetime,
                 after_id: int = 0) -> tuple[CheckResult, int | None]:
    """Check one batch of live cases (ids above `after_id`); returns the result and the next `after_id`, or None.

    Cases too young for any clock to have reached its warning point are not read: a busy desk's many fresh
    cases made every check walk them all, holding the store's write lock on SQLite while it did.
    """
    soonest = policy.soonest_warning()
    if soonest is None:
        return CheckResult(), None
    cases = list(session.scalars(
        select(Case).where(Case.id > after_id, Case.merged_into.is_(None), Case.opened_at <= now - soonest,
                           or_(Case.status != "resolved", Case.resolved_at >= now - RECENTLY_RESOLVED))
        .order_by(Case.id).limit(BATCH)))
    result = CheckResult(checked=len(cases))
    if not cases:
        return result, None
    sent = delivery_times(session, [case.id for case in cases])
    recorded = _recorded(session, [case.id for case in cases])
    for case in cases:
        for clock in policy.clocks(case_times(case, sent.get(case.id)), now):
            if clock.state in ("missed", "breached") and (case.id, clock.name, "breached") not in recorded:
                if _mark(session, case.id, clock, "breached"):
                    add_event(session, case.id, "clocks", "clock_breached", clock=clock.name,
                              due_at=clock.due_at.isoformat(), target=clock.target.total_seconds())
                    metrics.count("clock_breaches", clock=clock.name, urgency=case.urgency)
                    result.breached += 1
            elif clock.state == "warning" and (case.id, clock.name, "warned") not in recorded:
                if _mark(session, case.id, clock, "warned"):
                    _warn(session, case, clock, oncall, result)
    return result, cases[-1].id if len(cases) == BATCH else None


def _recorded(session: Session, case_ids: list[int]) -> set[tuple[int, str, str]]:
    rows = session.execute(select(CaseClock.case_id, CaseClock.clock, CaseClock.state)
                           .where(CaseClock.case_id.in_(case_ids))).all()
    return {tuple(row) for row in rows}


def _mark(session: Session, case_id: int, clock: Clock, state: str) -> bool:
    try:
        with session.begin_nested():
            session.add(CaseClock(case_id=case_id, clock=clock.name, state=state, at=utcnow(), due_at=clock.due_at))
    except IntegrityError:
        return False  # another check got there first
    return True


def _warn(session: Session, case: Case, clock: Clock, oncall: OncallSettings, result: CheckResult) -> None:
    person = assignee(case, oncall)
    if person is None:
        add_event(session, case.id, "clocks", "clock_warning", clock=clock.name, due_at=clock.due_at.isoformat(),
                  notified=None, detail="no assignee and nobody on call")
        result.warned += 1
        return
    method = next(step.notify for step in person.notify if hasattr(step, "notify"))
    delivery = Delivery(key=f"clock:{case.id}:{clock.name}:warn", case_id=case.id, kind="alert", sender=method,
                        target=person.contact[method], recipient=person.id, status="pending",
                        detail={"person_name": person.name, "clock": clock.name, "due_at": clock.due_at.isoformat()})
    session.add(delivery)
    session.flush()
    add_event(session, case.id, "clocks", "clock_warning", clock=clock.name, due_at=clock.due_at.isoformat(),
              notified=person.id, delivery_id=delivery.id)
    result.alerts.append((delivery.key, delivery.id))
    result.warned += 1


def assignee(case: Case, oncall: OncallSettings):
    """The person to tell about the case: whoever acknowledged it, if on the roster; else the first on call."""
    for person in oncall.people:
        if case.acknowledged_by and case.acknowledged_by.split(" ")[0] in (person.id, person.name):
            return person
    chain = oncall.escalation.chain
    return oncall.person(chain[0]) if chain else None
