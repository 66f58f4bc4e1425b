"""Sessions in signed cookies (itsdangerous), CSRF tokens bound to them, and the session secret.

The cookie holds the username and the session's CSRF token, signed with a
timestamp; it is HttpOnly, SameSite=Lax, and Secure whenever the request came
over TLS. Forms carry the CSRF token in a hidden field and every POST must
present it. Before sign-in, a short-lived signed cookie plays the same role for
the sign-in form.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from itsdangerous import BadSignature, URLSafeTimedSerializer

from config.desk import DashboardSettings

SESSION_COOKIE = "frontdesk_session"
LOGIN_COOKIE = "frontdesk_login"
SECRET_FILE = "session-secret"
LOGIN_FORM_SECONDS = 3600


@dataclass(frozen=True)
class Session:
    """A signed-in operator's session as read from the cookie."""

    username: str
    csrf: str


def session_secret(settings: DashboardSettings, data_dir: Path) -> str:
    """The configured secret, else one kept in the data directory (created once, mode 0600)."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    path = Path(data_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
    return path.read_text().strip()


class Cookies:
    """Writes and reads the session and sign-in cookies."""

    def __init__(self, secret: str, lifetime_seconds: float):
        self.sessions = URLSafeTimedSerializer(secret, salt="frontdesk-session")
        self.logins = URLSafeTimedSerializer(secret, salt="frontdesk-login-form")
        self.lifetime = int(lifetime_seconds)

    def start(self, response: web.StreamResponse, request: web.Request, username: str) -> Session:
        """Set a fresh session cookie for `username` (a new CSRF token each time) and drop the sign-in cookie."""
        session = Session(username, secrets.token_urlsafe(24))
        value = self.sessions.dumps({"u": session.username, "c": session.csrf})
        _set(response, request, SESSION_COOKIE, value, self.lifetime)
        response.del_cookie(LOGIN_COOKIE, path="/")
        return session

    def read(self, request: web.Request) -> Session | None:
        """The session the request's cookie carries; None when absent, forged or expired."""
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data = self.sessions.loads(raw, max_age=self.lifetime)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), str) or not isinstance(data.get("c"), str):
            return None
        return Session(data["u"], data["c"])

    def end(self, response: web.StreamResponse) -> None:
        """Remove the session cookie."""
        response.del_cookie(SESSION_COOKIE, path="/")

    def login_token(self, request: web.Request, response: web.StreamResponse) -> str:
        """The sign-in form's CSRF token, kept in (or newly set as) a signed cookie."""
        token = self._login_cookie(request)
        if token is None:
            token = secrets.token_urlsafe(24)
            _set(response, request, LOGIN_COOKIE, self.logins.dumps(token), LOGIN_FORM_SECONDS)
        return token

    def login_token_matches(self, request: web.Request, presented: str) -> bool:
        """Whether the sign-in form's token matches its cookie."""
        token = self._login_cookie(request)
        return token is not None and hmac.compare_digest(token.encode(), presented.encode())

    def _login_cookie(self, request: web.Request) -> str | None:
        raw = request.cookies.get(LOGIN_COOKIE)
        if not raw:
            return None
        try:
            token = self.logins.loads(raw, max_age=LOGIN_FORM_SECONDS)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None


def csrf_matches(session: Session, presented: str) -> bool:
    """Whether a form's CSRF token is this session's, compared in constant time."""
    return hmac.compare_digest(session.csrf.encode(), presented.encode())


def _set(response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Lax",
                        secure=request.secure)
