"""Who is paged at each escalation step, and through which of their contact methods when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from config.schema import NotifyStep, OncallSettings, WaitStep


@dataclass(frozen=True)
class Notification:
    """One notify step of a person's policy: which sender, which target, how long after the step starts."""

    index: int
    sender: str
    target: str
    delay: timedelta


@dataclass(frozen=True)
class PageStep:
    """One escalation step: the person paged, their notifications, and when the next step is due."""

    step: int
    round: int
    person_id: str
    person_name: str
    notifications: tuple[Notification, ...]
    next_step_after: timedelta
    is_last: bool


def escalation_chain(oncall: OncallSettings) -> list[str]:
    """The configured chain, or everyone in roster order when none is configured."""
    return list(oncall.escalation.chain) or [person.id for person in oncall.people]


def page_step(oncall: OncallSettings, step: int) -> PageStep | None:
    """The plan for escalation step `step` (0-based over rounds x chain), or None past the end."""
    chain = escalation_chain(oncall)
    total = len(chain) * oncall.escalation.rounds
    if not chain or step < 0 or step >= total:
        return None
    person = oncall.person(chain[step % len(chain)])
    delay = timedelta(0)
    notifications = []
    for index, policy_step in enumerate(person.notify):
        if isinstance(policy_step, WaitStep):
            delay += policy_step.wait
        elif isinstance(policy_step, NotifyStep):
            notifications.append(Notification(index, policy_step.notify, person.contact[policy_step.notify], delay))
    return PageStep(
        step=step, round=step // len(chain), person_id=person.id, person_name=person.name,
        notifications=tuple(notifications), next_step_after=oncall.escalation.ack_timeout, is_last=step == total - 1,
    )


def on_roster(oncall: OncallSettings, sender: str, target: str) -> str | None:
    """The id of the person whose contact for `sender` is `target` (for authorising clicks), or None."""
    for person in oncall.people:
        if person.contact.get(sender) == target:
            return person.id
    return None
