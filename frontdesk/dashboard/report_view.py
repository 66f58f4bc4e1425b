"""The report on the dashboard: `/report?since=30d` as a page, `/report.csv` and `/report.png`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp import web

from config.types import parse_duration
from frontdesk.dashboard.desk import SECURITY_HEADERS, Desk, Operator
from frontdesk.models import utcnow
from frontdesk.report import Report, build_report, period, report_rows, to_csv, to_png

MAX_SINCE = timedelta(days=3660)


class ReportPages:
    """Handlers of the report page and its downloads (viewers and up)."""

    def __init__(self, desk: Desk):
        self.desk = desk

    def routes(self) -> list[web.RouteDef]:
        """The report routes."""
        page = self.desk.page("viewer")
        return [web.get("/report", page(self.page)), web.get("/report.csv", page(self.csv)),
                web.get("/report.png", page(self.png))]

    async def _report(self, request: web.Request) -> tuple[Report | None, str]:
        raw = request.query.get("since", "30d")[:16]
        try:
            since = parse_duration(raw)
        except ValueError:
            return None, raw
        if not timedelta(0) < since <= MAX_SINCE:
            return None, raw
        start, until = period(since, utcnow())
        return await self.desk.db(build_report, start, until), raw

    async def page(self, request: web.Request, operator: Operator) -> web.Response:
        """GET `/report`: the review as a table with its chart."""
        report, since = await self._report(request)
        if report is None:
            return self.desk.render("error.html", operator, status=400,
                                    message="since must be a duration such as 7d or 30d (at most ten years).")
        return self.desk.render("report.html", operator, rows=report_rows(report), since=since)

    async def csv(self, request: web.Request, operator: Operator) -> web.Response:
        """GET `/report.csv`: the review as CSV."""
        report, _ = await self._report(request)
        if report is None:
            return web.Response(status=400, text="bad since\n")
        return web.Response(text=to_csv(report), content_type="text/csv", charset="utf-8",
                            headers={**SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="report.csv"'})

    async def png(self, request: web.Request, operator: Operator) -> web.Response:
        """GET `/report.png`: the review's chart."""
        report, _ = await self._report(request)
        if report is None:
            return web.Response(status=400, text="bad since\n")
        body = await asyncio.to_thread(to_png, report)
        return web.Response(body=body, content_type="image/png", headers=SECURITY_HEADERS)
