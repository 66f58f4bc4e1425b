"""Read-only pages: the case list (`/`), a case (`/cases/{id}`), and the settings view (`/settings`)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from frontdesk.dashboard.desk import Desk, Operator
from frontdesk.dashboard.reads import FILTERS, CaseFilters, case_page, case_rows
from frontdesk.dashboard.settings_view import settings_view
from frontdesk.models import CATEGORIES, URGENCIES, utcnow

STATUSES = ("open", "acknowledged", "resolved")
MAX_FILTER = 200
DONE = {"acknowledged": "Acknowledged.", "resolved": "Resolved.", "reopened": "Reopened.", "noted": "Note added.",
        "urgency": "Urgency changed.", "merged": "Merged.", "split": "Split into a new case.", "unchanged":
        "Nothing changed: the case was already in that state.", "erased": "Personal data erased."}


class Pages:
    """Handlers of the dashboard's pages."""

    def __init__(self, desk: Desk):
        self.desk = desk

    def routes(self) -> list[web.RouteDef]:
        """The page routes."""
        page = self.desk.page
        return [web.get("/", page("viewer")(self.cases)),
                web.get(r"/cases/{case_id:\d+}", page("viewer")(self.case)),
                web.get("/settings", page("agent")(self.settings))]

    async def cases(self, request: web.Request, operator: Operator) -> web.Response:
        """GET `/`: one page of cases matching the filters, newest first, with their clocks."""
        filters, error = _filters(request.query, list(type(self.desk.settings.channels).model_fields))
        before = request.query.get("before", "")
        before_id = int(before) if before.isdigit() else None
        limit = self.desk.settings.dashboard.page_size
        rows = [] if error else await self.desk.db(case_rows, self.desk.policy, filters, limit, before_id, utcnow())
        older = None
        if len(rows) == limit:
            older = "/?" + urlencode({**filters.active(), "before": rows[-1]["id"]})
        return self.desk.render("cases.html", operator, rows=rows, filters=filters, error=error, older=older,
                                choices={"urgency": URGENCIES, "status": STATUSES, "category": CATEGORIES,
                                         "channel": list(type(self.desk.settings.channels).model_fields)},
                                status=400 if error else 200)

    async def case(self, request: web.Request, operator: Operator) -> web.Response:
        """GET `/cases/{id}`: the case page; 404 for an unknown case."""
        case_id = int(request.match_info["case_id"])
        detail = await self.desk.db(case_page, self.desk.policy, case_id, utcnow())
        if detail is None:
            return self.desk.render("error.html", operator, status=404, message=f"There is no case {case_id}.")
        return self.desk.render("case.html", operator, case=detail, urgencies=URGENCIES,
                                done=DONE.get(request.query.get("done", "")), csrf=operator.csrf)

    async def settings(self, request: web.Request, operator: Operator) -> web.Response:
        """GET `/settings`: the read-only settings view."""
        view = await settings_view(self.desk)
        return self.desk.render("settings.html", operator, view=view)


def _filters(query, channels: list[str]) -> tuple[CaseFilters, str | None]:
    values = {name: query.get(name, "").strip()[:MAX_FILTER] for name in FILTERS}
    allowed = {"urgency": URGENCIES, "status": STATUSES, "category": CATEGORIES, "channel": channels}
    for name, choices in allowed.items():
        if values[name] and values[name] not in choices:
            bad = values[name]
            values[name] = ""
            return CaseFilters(**values), f"Unknown {name} {bad!r}; choose one of the list."
    return CaseFilters(**values), None
