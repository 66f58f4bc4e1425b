"""The mentions view's HTTP surface: the `/mentions` page, its JSON API and the CSV export.

`GET /mentions` serves the page (a static shell; its script reads the API).
`GET /api/mentions` the feed, `GET /api/mentions/stats` volume per network and
sentiment plus top terms and hashtags, `GET /api/mentions.csv` the export.
The API takes a signed-in dashboard operator's session (any role), or the
bearer token of an API client as `/api/cases` does; a viewer without a
session enters a token once and the page keeps it in the tab's sessionStorage.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from config.schema import LANGUAGE_CODE
from frontdesk.dashboard.desk import Desk
from frontdesk.mentions import queries
from frontdesk.models import URGENCIES, utcnow
from frontdesk.store.db import read_session
from frontdesk.web.auth import client_for
from frontdesk.web.responses import json_error

ASSETS = Path(__file__).resolve().parent / "templates"
NETWORKS = ("x", "mastodon")
CSV_LIMIT = 100_000
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
CSV_FIELDS = ("at", "network", "author_handle", "author_name", "text", "sentiment", "sentiment_label", "urgency",
              "language", "stream", "url", "case_id")
LANGUAGE = re.compile(LANGUAGE_CODE)


class MentionsView:
    """Handlers of the mentions page and API; `services` is the web app's Services."""

    def __init__(self, services):
        self.services = services
        self.desk = Desk(services) if services.settings.dashboard.enabled else None
        self.templates = Environment(loader=FileSystemLoader(str(ASSETS)), autoescape=select_autoescape(["html"]))

    def routes(self) -> list[web.RouteDef]:
        """The routes this view serves."""
        return [
            web.get("/mentions", self.page),
            web.get("/mentions/static/{name:mentions\\.(js|css)}", self.asset),
            web.get("/api/mentions", self.feed),
            web.get("/api/mentions/stats", self.stats),
            web.get("/api/mentions.csv", self.export),
        ]

    async def page(self, request: web.Request) -> web.Response:
        html = self.templates.get_template("mentions.html").render(
            organisation=self.services.settings.organisation.name, networks=NETWORKS,
            labels=queries.LABELS, urgencies=URGENCIES)
        return web.Response(text=html, content_type="text/html", headers=_page_headers())

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        kind = "application/javascript" if name.endswith(".js") else "text/css"
        return web.Response(text=(ASSETS / name).read_text(encoding="utf-8"), content_type=kind,
                            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    async def feed(self, request: web.Request) -> web.Response:
        denied, filters = await self._check(request)
        if denied:
            return denied
        try:
            limit = min(max(int(request.query.get("limit", 100)), 1), self.services.settings.mentions.feed_limit)
            before = datetime.fromisoformat(request.query["before"]) if request.query.get("before") else None
        except ValueError:
            return json_error(400, "limit must be an integer and before an ISO 8601 time", field="limit")
        rows = await asyncio.to_thread(self._read, queries.feed, filters, limit, before)
        return web.json_response({"mentions": rows, "next_before": rows[-1]["at"] if len(rows) == limit else None})

    async def stats(self, request: web.Request) -> web.Response:
        denied, filters = await self._check(request)
        if denied:
            return denied
        hours, bucket = _window(request.query.get("hours", "24"))
        until = utcnow()
        since = until - timedelta(hours=hours)
        body = await asyncio.to_thread(self._stats, filters, since, until, bucket)
        return web.json_response(body)

    def _stats(self, filters, since, until, bucket) -> dict:
        with read_session(self.services.sessions) as session:
            return {
                "since": since.isoformat(), "until": until.isoformat(),
                "volume": queries.volume(session, filters, since, until, bucket),
                "top": queries.top_terms(session, filters, until - timedelta(days=1)),
                "streams": queries.streams(session),
                "languages": queries.languages(session),
            }

    async def export(self, request: web.Request) -> web.StreamResponse:
        denied, filters = await self._check(request)
        if denied:
            return denied
        hours, _ = _window(request.query.get("hours", "24"))
        text = await asyncio.to_thread(self._csv, filters, utcnow() - timedelta(hours=hours))
        return web.Response(text=text, content_type="text/csv", headers={
            "Content-Disposition": 'attachment; filename="mentions.csv"', "X-Content-Type-Options": "nosniff"})

    def _csv(self, filters, since) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        with read_session(self.services.sessions) as session:
            for row in queries.export_rows(session, filters, since, CSV_LIMIT):
                flat = {**row, "author_handle": row["author"]["handle"], "author_name": row["author"]["name"]}
                writer.writerow({key: _spreadsheet_safe(value) for key, value in flat.items()})
        return out.getvalue()

    def _read(self, query, *args):
        with read_session(self.services.sessions) as session:
            return query(session, *args)

    async def _allowed(self, request: web.Request) -> bool:
        if client_for(self.services.settings.channels.api.clients, request.headers.get("Authorization", "")):
            return True
        return self.desk is not None and await self.desk.operator(request) is not None

    async def _check(self, request: web.Request):
        if not await self._allowed(request):
            return json_error(401, "sign in, or give an API client's bearer token",
                              headers={"WWW-Authenticate": "Bearer"}), None
        query = request.query
        allowed = {"network": NETWORKS, "sentiment": queries.LABELS, "urgency": URGENCIES}
        for name, values in allowed.items():
            if query.get(name) and query[name] not in values:
                return json_error(400, f"{name} must be one of {list(values)}", field=name), None
        if query.get("language") and not LANGUAGE.fullmatch(query["language"]):
            return json_error(400, "language must be an ISO 639 code such as es", field="language"), None
        if _window(query.get("hours", "24"))[0] is None:
            return json_error(400, "hours must be an integer from 1 to 720", field="hours"), None
        filters = queries.Filters(channel=query.get("network", ""), sentiment=query.get("sentiment", ""),
                                  urgency=query.get("urgency", ""), stream=query.get("stream", "")[:300],
                                  language=query.get("language", ""), text=query.get("q", "")[:200])
        return None, filters


def _window(raw: str) -> tuple[int | None, timedelta]:
    """Hours of the window and the chart's bucket size (about 48 buckets, at least a minute)."""
    try:
        hours = int(raw)
    except ValueError:
        return None, timedelta()
    if not 1 <= hours <= 720:
        return None, timedelta()
    raw = hours * 3600 // 48
    unit = 600 if raw >= 600 else 60  # whole minutes or ten minutes, the slots the store groups by
    return hours, timedelta(seconds=max(unit, -(-raw // unit) * unit))


def _spreadsheet_safe(value):
    """Neutralise cells a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _page_headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store"}
