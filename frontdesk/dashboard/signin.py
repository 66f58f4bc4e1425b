"""Sign-in and sign-out: argon2-checked passwords, a signed session cookie, failed attempts rate-limited."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from frontdesk.auth.accounts import authenticate, has_accounts
from frontdesk.dashboard.desk import SECURITY_HEADERS, Desk, Operator

log = logging.getLogger(__name__)
MAX_FIELD = 256


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never `//host` or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target:
        return "/"
    return target


class SignIn:
    """`/login` and `/logout`."""

    def __init__(self, desk: Desk):
        self.desk = desk

    def routes(self) -> list[web.RouteDef]:
        """The sign-in routes."""
        return [web.get("/login", self.form), web.post("/login", self.submit),
                web.post("/logout", self.desk.action("viewer")(self.logout))]

    async def form(self, request: web.Request) -> web.StreamResponse:
        """GET `/login`: the sign-in form (signed-in operators go straight on)."""
        if await self.desk.operator(request) is not None:
            raise web.HTTPSeeOther(safe_next(request.query.get("next")))
        error = None
        if not await self.desk.db(has_accounts, self.desk.settings.dashboard):
            error = "No operator accounts yet: create one with `frontdesk user add NAME --role admin`."
        return self._form(request, status=200, error=error)

    def _form(self, request: web.Request, status: int, error: str | None, username: str = "",
              next_path: str | None = None) -> web.Response:
        response = web.Response(status=status, content_type="text/html", charset="utf-8", headers=SECURITY_HEADERS)
        token = self.desk.cookies.login_token(request, response)
        response.text = self.desk.render_text("login.html", None, error=error, username=username,
                                              next=safe_next(next_path or request.query.get("next")), csrf=token)
        return response

    async def submit(self, request: web.Request) -> web.StreamResponse:
        """POST `/login`: check the form token, the rate limit and the password; start a session."""
        form = await request.post()
        username = str(form.get("username", ""))[:MAX_FIELD].strip().lower()
        next_path = safe_next(str(form.get("next", "")))
        password = str(form.get("password", ""))[:MAX_FIELD * 4]
        if not self.desk.cookies.login_token_matches(request, str(form.get("csrf", ""))):
            return self._form(request, 403, "The sign-in form had expired; please try again.", username, next_path)
        address = request.remote or "unknown"
        if await asyncio.to_thread(self.desk.limiter.blocked, address, username):
            log.warning("sign-in refused: too many failed attempts")
            return self._form(request, 429, "Too many failed attempts. Wait a few minutes and try again.",
                              username, next_path)
        account = await self.desk.db(authenticate, self.desk.settings.dashboard, username, password)
        if account is None:
            await asyncio.to_thread(self.desk.limiter.failed, address, username)
            return self._form(request, 401, "Wrong username or password.", username, next_path)
        await asyncio.to_thread(self.desk.limiter.succeeded, address, username)
        log.info("operator signed in (role %s)", account.role)
        response = web.HTTPSeeOther(next_path)
        self.desk.cookies.start(response, request, account.username)
        raise response

    async def logout(self, request: web.Request, operator: Operator, form) -> web.StreamResponse:
        """POST `/logout`: end the session."""
        response = web.HTTPSeeOther("/login")
        self.desk.cookies.end(response)
        raise response
