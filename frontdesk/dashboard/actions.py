"""Actions on a case (POST `/cases/{id}/{action}`): each one a store operation audited with the operator as
actor, followed by a refresh of the case's Slack pages."""

from __future__ import annotations

import asyncio
import uuid

from aiohttp import web

from frontdesk.dashboard.desk import Desk, Operator
from frontdesk.dashboard.errors import ActionRefusedError
from frontdesk.models import URGENCIES
from frontdesk.queue import PAGES, enqueue_keyed
from frontdesk.store import cases as store
from frontdesk.store.tables import Case

MAX_NOTE = 10_000
MAX_REASON = 1_000


class Actions:
    """Handlers of the case actions."""

    def __init__(self, desk: Desk):
        self.desk = desk

    def routes(self) -> list[web.RouteDef]:
        """The action routes (agents and admins)."""
        handlers = {"acknowledge": self.acknowledge, "resolve": self.resolve, "reopen": self.reopen,
                    "note": self.note, "urgency": self.urgency, "merge": self.merge, "split": self.split}
        routes = [web.post(rf"/cases/{{case_id:\d+}}/{name}", self._run(handler)) for name, handler in handlers.items()]
        return [*routes, web.post(r"/cases/{case_id:\d+}/erase", self.desk.action("admin")(self.erase))]

    def _run(self, operation):
        async def handler(request: web.Request, operator: Operator, form) -> web.StreamResponse:
            case_id = int(request.match_info["case_id"])
            try:
                outcome, target = await asyncio.to_thread(self._apply, operation, case_id, operator.username, form)
            except ActionRefusedError as refused:
                return self.desk.render("error.html", operator, status=400, message=str(refused),
                                        back=f"/cases/{case_id}")
            if outcome != "unchanged":
                for changed_id in sorted({case_id, target}):
                    await asyncio.to_thread(enqueue_keyed, self.desk.services.redis, PAGES, "workers.jobs.refresh_pages",
                                            f"refresh:{changed_id}:{outcome}:{uuid.uuid4().hex}", changed_id)
            raise web.HTTPSeeOther(f"/cases/{target}?done={outcome}")
        return self.desk.action("agent")(handler)

    def _apply(self, operation, case_id: int, actor: str, form) -> tuple[str, int]:
        with self.desk.services.sessions.begin() as session:
            if session.get(Case, case_id) is None:
                raise ActionRefusedError(f"There is no case {case_id}.")
            return operation(session, case_id, actor, form)

    def acknowledge(self, session, case_id, actor, form):
        """Acknowledge the case as the operator (the first acknowledgment wins)."""
        return _outcome(store.acknowledge_case(session, case_id, actor, via="dashboard"), "acknowledged", case_id)

    def resolve(self, session, case_id, actor, form):
        """Resolve the case."""
        return _outcome(store.resolve_case(session, case_id, actor, via="dashboard"), "resolved", case_id)

    def reopen(self, session, case_id, actor, form):
        """Reopen a resolved case."""
        return _outcome(store.reopen_case(session, case_id, actor), "reopened", case_id)

    def note(self, session, case_id, actor, form):
        """Add the form's `text` as a note."""
        store.add_note(session, case_id, actor, _text(form, "text", MAX_NOTE))
        return "noted", case_id

    def urgency(self, session, case_id, actor, form):
        """Set the form's `urgency`, with its `reason`."""
        urgency = str(form.get("urgency", ""))
        if urgency not in URGENCIES:
            raise ActionRefusedError(f"Choose an urgency among {', '.join(URGENCIES)}.")
        changed = store.change_urgency(session, case_id, urgency, actor, _text(form, "reason", MAX_REASON))
        return _outcome(changed, "urgency", case_id)

    def merge(self, session, case_id, actor, form):
        """Merge this case into the case numbered `into`, with a `reason`; lands on the other case."""
        into = str(form.get("into", "")).strip().lstrip("#")
        if not into.isdigit():
            raise ActionRefusedError("Give the number of the case to merge into.")
        if not store.merge_cases(session, case_id, int(into), actor, _text(form, "reason", MAX_REASON)):
            raise ActionRefusedError(f"Case {case_id} cannot be merged into case {into}: "
                                     "is it a different, unmerged case?")
        return "merged", int(into)

    def split(self, session, case_id, actor, form):
        """Move the ticked `message` ids to a new case, with a `reason`; lands on the new case."""
        message_ids = [str(value) for value in form.getall("message", [])][:1000]
        new_id = store.split_case(session, case_id, message_ids, actor, _text(form, "reason", MAX_REASON))
        if new_id is None:
            raise ActionRefusedError("Tick some, but not all, of the case's messages to split them off.")
        return "split", new_id


    async def erase(self, request: web.Request, operator: Operator, form) -> web.StreamResponse:
        """Erase the personal data of the case's contact everywhere (frontdesk.privacy.erase), admins only."""
        from frontdesk.privacy.erase import erase_contact
        from frontdesk.privacy.setup import vault_for

        case_id = int(request.match_info["case_id"])
        if str(form.get("confirm", "")).strip().lower() != "erase":
            return self.desk.render("error.html", operator, status=400, back=f"/cases/{case_id}",
                                    message="Type the word erase to confirm.")
        contact_id = await self.desk.db(_contact_of, case_id)
        if contact_id is None:
            return self.desk.render("error.html", operator, status=404, message=f"There is no case {case_id}.")
        services = self.desk.services
        await asyncio.to_thread(erase_contact, services.sessions, services.redis, contact_id, operator.username,
                                vault_for(self.desk.settings), "erasure from the dashboard")
        await asyncio.to_thread(enqueue_keyed, services.redis, PAGES, "workers.jobs.refresh_pages",
                                f"refresh:{case_id}:erased:{uuid.uuid4().hex}", case_id)
        raise web.HTTPSeeOther(f"/cases/{case_id}?done=erased")

def _outcome(changed: bool, verb: str, case_id: int) -> tuple[str, int]:
    return (verb if changed else "unchanged"), case_id


def _text(form, name: str, limit: int) -> str:
    value = str(form.get(name, "")).strip()
    if not value:
        raise ActionRefusedError(f"The {name} must not be empty.")
    if len(value) > limit:
        raise ActionRefusedError(f"The {name} is too long ({len(value)} characters, at most {limit}).")
    return value


def _contact_of(session, case_id: int) -> int | None:
    case = session.get(Case, case_id)
    return case.contact_id if case is not None else None
