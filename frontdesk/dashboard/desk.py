"""The dashboard's shared machinery: templates, who is signed in, role and CSRF checks, safe responses.

Every page handler is wrapped by `Desk.page(role)` (GET) or `Desk.action(role)`
(POST): the wrapper finds the signed-in operator (re-reading their role from the
configuration or the database on every request, so a removed account's cookie
stops working), redirects strangers to sign-in, refuses too weak a role with
403, and refuses a POST whose CSRF token is not the session's.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2
from aiohttp import web

from frontdesk.auth.accounts import current_role
from frontdesk.auth.limits import LoginLimiter
from frontdesk.auth.roles import allows
from frontdesk.auth.sessions import Cookies, Session, csrf_matches, session_secret
from frontdesk.clocks.clocks import ClockPolicy
from frontdesk.dashboard import formatting
from frontdesk.store.db import read_session

HERE = Path(__file__).resolve().parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Operator:
    """The signed-in operator of a request."""

    username: str
    role: str
    csrf: str

    def may(self, role: str) -> bool:
        """Whether this operator's role reaches `role`."""
        return allows(self.role, role)


class Desk:
    """Templates, cookies, limiter and clock policy of the dashboard, built once per app."""

    def __init__(self, services):
        self.services = services
        settings = services.settings
        self.settings = settings
        self.cookies = Cookies(session_secret(settings.dashboard, settings.data_dir),
                               settings.dashboard.session_lifetime.total_seconds())
        self.limiter = LoginLimiter(services.redis, settings.dashboard.login_attempts, settings.dashboard.login_window)
        self.policy = ClockPolicy(settings.clocks)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        formatting.install(self.templates)

    def render(self, name: str, operator: Operator | None, status: int = 200, **context) -> web.Response:
        """Render a template (autoescaped) with the security headers."""
        return web.Response(text=self.render_text(name, operator, **context), status=status,
                            content_type="text/html", charset="utf-8", headers=SECURITY_HEADERS)

    def render_text(self, name: str, operator: Operator | None, **context) -> str:
        """The rendered template as text."""
        return self.templates.get_template(name).render(
            operator=operator, organisation=self.settings.organisation.name, **context)

    async def operator(self, request: web.Request) -> Operator | None:
        """The signed-in operator, or None."""
        session: Session | None = self.cookies.read(request)
        if session is None:
            return None
        role = await asyncio.to_thread(self._role, session.username)
        return Operator(session.username, role, session.csrf) if role else None

    def _role(self, username: str) -> str | None:
        with read_session(self.services.sessions) as db:
            return current_role(db, self.settings.dashboard, username)

    def page(self, role: str):
        """Wrap a GET handler `(request, operator)` that needs `role`."""
        return self._guard(role, check_csrf=False)

    def action(self, role: str):
        """Wrap a POST handler `(request, operator, form)` that needs `role` and a valid CSRF token."""
        return self._guard(role, check_csrf=True)

    def _guard(self, role: str, check_csrf: bool):
        def wrap(handler):
            @functools.wraps(handler)
            async def guarded(request: web.Request) -> web.StreamResponse:
                operator = await self.operator(request)
                if operator is None:
                    if check_csrf:
                        return self.render("error.html", None, status=401, message="Please sign in again.")
                    raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
                if not operator.may(role):
                    return self.render("error.html", operator, status=403,
                                       message=f"This needs the {role} role; you are {operator.role}.")
                if not check_csrf:
                    return await handler(request, operator)
                form = await request.post()
                if not csrf_matches(Session(operator.username, operator.csrf), str(form.get("csrf", ""))):
                    return self.render("error.html", operator, status=403,
                                       message="The form had expired. Go back, reload and try again.")
                return await handler(request, operator, form)
            return guarded
        return wrap

    async def db(self, function, *args):
        """Run `function(session, *args)` in a thread with a read session."""
        def run():
            with read_session(self.services.sessions) as session:
                return function(session, *args)
        return await asyncio.to_thread(run)

    async def write(self, function, *args):
        """Run `function(session, *args)` in a thread inside one transaction."""
        def run():
            with self.services.sessions.begin() as session:
                return function(session, *args)
        return await asyncio.to_thread(run)
