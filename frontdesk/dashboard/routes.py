"""All routes of the dashboard, for the app factory (frontdesk.web.app)."""

from __future__ import annotations

from aiohttp import web

from frontdesk.dashboard.actions import Actions
from frontdesk.dashboard.desk import HERE, SECURITY_HEADERS, Desk
from frontdesk.dashboard.pages import Pages
from frontdesk.dashboard.report_view import ReportPages
from frontdesk.dashboard.signin import SignIn

STATIC = {"desk.css": "text/css", "desk.js": "text/javascript"}


def dashboard_routes(services) -> list[web.RouteDef]:
    """Pages, actions, sign-in, report and the two static files; empty when the dashboard is disabled."""
    if not services.settings.dashboard.enabled:
        return []
    desk = Desk(services)
    return [*SignIn(desk).routes(), *Pages(desk).routes(), *Actions(desk).routes(), *ReportPages(desk).routes(),
            web.get(r"/static/desk/{name:desk\.(?:css|js)}", static)]


async def static(request: web.Request) -> web.Response:
    """The dashboard's stylesheet and script."""
    name = request.match_info["name"]
    body = (HERE / "static" / name).read_bytes()
    headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=300"}
    return web.Response(body=body, content_type=STATIC[name], charset="utf-8", headers=headers)
