"""The Acknowledge / Escalate / Resolve buttons of a Slack page, carried out on the case store.

Upstream: Block Kit `block_actions` payloads
(https://api.slack.com/reference/interaction-payloads/block-actions); the
buttons themselves are laid out by outbound/slack.py, whose action ids and
values (the case id) are matched here.

A click counts only from a Slack user who is on the on-call roster
(`oncall.people[].contact.slack`). Every state change goes through the
conditional UPDATEs of frontdesk.store.cases, so a double click, or two
people clicking at once, changes the case once; each change and each refused
click is a case event. After a change the pages already sent are rewritten in
place by the `workers.jobs.refresh_pages` job.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from frontdesk.queue import PAGES, enqueue_keyed
from frontdesk.store.cases import acknowledge_case, add_event, request_escalation, resolve_case
from frontdesk.store.tables import Case

log = logging.getLogger(__name__)

ACTION_PATTERN = re.compile(r"^frontdesk_(acknowledge|escalate|resolve)$")
_CASE_ID = re.compile(r"^\d{1,18}$")


@dataclass(frozen=True)
class Outcome:
    """What a click did, and what the person who clicked is told (privately)."""

    changed: bool
    notice: str


class PageActions:
    """Applies page button clicks; sync (store and Redis calls), run off the event loop."""

    def __init__(self, oncall, sessions: sessionmaker[Session], redis):
        self.oncall = oncall
        self.sessions = sessions
        self.redis = redis

    def person_for(self, slack_user: str):
        """The roster entry whose Slack contact is `slack_user`, or None."""
        for person in self.oncall.people:
            if person.contact.get("slack") == slack_user:
                return person
        return None

    def apply(self, action_id: str, value: str, slack_user: str) -> Outcome:
        """Carry out one click: `action_id` names the verb, `value` the case id."""
        match = ACTION_PATTERN.match(action_id)
        if match is None or not _CASE_ID.match(value or ""):
            return Outcome(False, "This button does not name a case; nothing was changed.")
        verb, case_id = match.group(1), int(value)
        person = self.person_for(slack_user)
        via = f"slack:{slack_user}"
        with self.sessions.begin() as session:
            case = session.get(Case, case_id)
            if case is None:
                return Outcome(False, f"Case {case_id} does not exist.")
            if person is None:
                add_event(session, case_id, via, "action_refused", action=verb, reason="not on the on-call roster")
                log.info("slack: %s refused for %s on case %s: not on the roster", verb, slack_user, case_id)
                return Outcome(False, "Only people on the on-call roster can do that; nothing was changed.")
            if verb == "escalate":
                step = request_escalation(session, case_id, person.name, via=via)
            else:
                operation = acknowledge_case if verb == "acknowledge" else resolve_case
                changed = operation(session, case_id, person.name, via=via)
        if verb == "escalate":
            return self._escalate(case_id, step)
        if changed:
            past = "acknowledged" if verb == "acknowledge" else "resolved"
            enqueue_keyed(self.redis, PAGES, "workers.jobs.refresh_pages", f"refresh:{case_id}:{past}", case_id)
            return Outcome(True, "")
        return Outcome(False, f"Case {case_id} was already {case.status}; nothing was changed.")

    def _escalate(self, case_id: int, step: int | None) -> Outcome:
        if step is None:
            return Outcome(False, f"Case {case_id} is acknowledged or resolved; there is nobody to escalate to.")
        # The same key for every click on the same step: a double click queues one job, and the
        # step's own conditional UPDATE (claim_escalation_step) lets it run once.
        enqueue_keyed(self.redis, PAGES, "workers.jobs.escalate", f"escalate-now:{case_id}:{step}", case_id, step)
        return Outcome(True, "Escalated: the next person on call is being paged now.")

