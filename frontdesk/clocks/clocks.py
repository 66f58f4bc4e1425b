"""The three response-time clocks of a case and where each stands.

- acknowledge: from opening to the first acknowledgment sent to the customer
  (or a reply, or resolution);
- first_response: from opening to the first human action — an on-call person
  acknowledging, a reply sent, or resolution;
- resolve: from opening to resolution.

Each clock's due time is the target for the case's urgency added in business
time (frontdesk.clocks.calendar). States: `met`, `missed` (stopped after due),
`running`, `warning` (past the warning point), `breached` (running past due),
`none` (no target).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.desk import ClocksSettings
from frontdesk.clocks.calendar import Calendar
from frontdesk.store.tables import Delivery

CLOCKS = ("acknowledge", "first_response", "resolve")
LATE = ("missed", "breached")


@dataclass(frozen=True)
class CaseTimes:
    """The facts about one case that its clocks need."""

    case_id: int
    urgency: str
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    customer_ack_at: datetime | None
    reply_at: datetime | None


@dataclass(frozen=True)
class Clock:
    """One clock of one case."""

    name: str
    state: str
    target: timedelta | None
    due_at: datetime | None
    warn_at: datetime | None
    stopped_at: datetime | None

    def remaining(self, now: datetime) -> timedelta | None:
        """Wall time left until due (negative once past due); None without a target or once stopped."""
        if self.due_at is None or self.stopped_at is not None:
            return None
        return self.due_at - now


def _first(*values: datetime | None) -> datetime | None:
    present = [value for value in values if value is not None]
    return min(present) if present else None


def stop_times(times: CaseTimes) -> dict[str, datetime | None]:
    """When each clock stopped; None while it runs."""
    return {
        "acknowledge": _first(times.customer_ack_at, times.reply_at, times.resolved_at),
        "first_response": _first(times.acknowledged_at, times.reply_at, times.resolved_at),
        "resolve": times.resolved_at,
    }


class ClockPolicy:
    """Targets and calendar from the `clocks` settings; computes clocks for cases."""

    def __init__(self, settings: ClocksSettings):
        self.settings = settings
        self.calendar = Calendar(settings.calendar)

    def clocks(self, times: CaseTimes, now: datetime) -> list[Clock]:
        """The three clocks of the case at `now`."""
        targets = self.settings.targets.get(times.urgency)
        stops = stop_times(times)
        return [self._clock(name, getattr(targets, name) if targets else None, times.opened_at, stops[name], now)
                for name in CLOCKS]

    def soonest_warning(self) -> timedelta | None:
        """How long after opening the earliest clock of any urgency can reach its warning point (business
        hours only make it later); None when no clock has a target. Younger cases need no check."""
        targets = [getattr(each, name) for each in self.settings.targets.values() for name in CLOCKS]
        present = [target for target in targets if target is not None]
        return min(present) * self.settings.warn_at if present else None

    def _clock(self, name: str, target: timedelta | None, opened: datetime, stopped: datetime | None,
               now: datetime) -> Clock:
        if target is None:
            return Clock(name, "none", None, None, None, stopped)
        due = self.calendar.add(opened, target)
        warn = self.calendar.add(opened, target * self.settings.warn_at)
        if stopped is not None:
            state = "met" if stopped <= due else "missed"
        elif now > due:
            state = "breached"
        else:
            state = "warning" if now >= warn else "running"
        return Clock(name, state, target, due, warn, stopped)


def delivery_times(session: Session, case_ids: list[int]) -> dict[int, dict[str, datetime]]:
    """For each case, when its first customer acknowledgment and first reply were sent."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(Delivery.case_id, Delivery.kind, func.min(Delivery.updated_at))
        .where(Delivery.case_id.in_(case_ids), Delivery.kind.in_(("ack", "reply")), Delivery.status == "sent")
        .group_by(Delivery.case_id, Delivery.kind)
    ).all()
    found: dict[int, dict[str, datetime]] = {}
    for case_id, kind, at in rows:
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        found.setdefault(case_id, {})[kind] = at
    return found


def case_times(case, sent: dict[str, datetime] | None) -> CaseTimes:
    """CaseTimes from a Case row and its `delivery_times` entry."""
    sent = sent or {}
    return CaseTimes(case.id, case.urgency, case.opened_at, case.acknowledged_at, case.resolved_at,
                     sent.get("ack"), sent.get("reply"))
