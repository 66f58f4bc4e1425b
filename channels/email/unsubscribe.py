"""Opt-outs by web: the RFC 8058 one-click endpoint and the operator's API.

RFC 8058 (https://www.rfc-editor.org/rfc/rfc8058): mail clients `POST`
`List-Unsubscribe=One-Click` to the URL of our `List-Unsubscribe` header;
a `GET` (a person's browser, or a link scanner) only shows a confirmation
page. The opt-out is written at once, as an event on the contact's latest
email case, and every later non-essential message to the address is skipped.
"""

from __future__ import annotations

import asyncio
import html
import json
from functools import cached_property

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.schema import Settings
from frontdesk.store.cases import record_opt_out
from frontdesk.store.db import make_engine, make_sessions
from frontdesk.store.tables import Case, ContactIdentity
from frontdesk.web.auth import client_for
from frontdesk.web.responses import json_error

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto"><h1>{title}</h1>{body}</body></html>"""


def page(title: str, body: str, status: int = 200) -> web.Response:
    """A minimal HTML page; `body` must already be escaped."""
    return web.Response(status=status, content_type="text/html", charset="utf-8",
                        text=PAGE.format(title=html.escape(title), body=body),
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def opt_out(sessions: sessionmaker[Session], address: str, source: str) -> bool:
    """Record the opt-out of `address` (idempotent), as an event on its latest email case; True when new."""
    with sessions.begin() as session:
        case_id = session.scalars(
            select(Case.id).join(ContactIdentity, ContactIdentity.contact_id == Case.contact_id)
            .where(ContactIdentity.channel == "email", ContactIdentity.handle == address)
            .order_by(Case.last_message_at.desc())
        ).first()
        return record_opt_out(session, "email", address, source, case_id)


class UnsubscribeRoutes:
    """`GET`/`POST <unsubscribe_path>/{token}` and `POST /api/email/opt-outs`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.sender = settings.outbound.email
        self.codec = self.sender.codec(settings.data_dir)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_sessions(make_engine(self.settings.effective_database_url))

    def routes(self) -> list[web.RouteDef]:
        path = f"{self.sender.unsubscribe_path}/{{token}}"
        return [web.get(path, self.confirm), web.post(path, self.unsubscribe),
                web.post("/api/email/opt-outs", self.operator_opt_out)]

    def _address(self, request: web.Request) -> str | None:
        return self.codec.read_unsubscribe_token(request.match_info["token"], self.sender.unsubscribe_valid)

    async def confirm(self, request: web.Request) -> web.Response:
        """Show what a POST would do; never opts out by itself (link scanners fetch URLs)."""
        address = self._address(request)
        if address is None:
            return page("Link not valid", "<p>This unsubscribe link is not valid or has expired.</p>", 404)
        body = (f"<p>Stop all further non-essential email to <strong>{html.escape(address)}</strong>?</p>"
                f'<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
                f'<button type="submit">Unsubscribe</button></form>')
        return page("Unsubscribe", body)

    async def unsubscribe(self, request: web.Request) -> web.Response:
        """Opt the token's address out (RFC 8058 one-click, or the confirmation form)."""
        address = self._address(request)
        if address is None:
            return page("Link not valid", "<p>This unsubscribe link is not valid or has expired.</p>", 404)
        await request.content.read(4096)
        await asyncio.to_thread(opt_out, self.sessions, address, "one-click")
        return page("Unsubscribed", f"<p>{html.escape(address)} will get no further non-essential email.</p>")

    async def operator_opt_out(self, request: web.Request) -> web.Response:
        """The operator's API: `{"address": ...}` with an API client's bearer token."""
        if client_for(self.settings.channels.api.clients, request.headers.get("Authorization", "")) is None:
            return json_error(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})
        try:
            address = str(json.loads(await request.content.read(4096))["address"]).strip().lower()
        except (ValueError, KeyError, TypeError):
            return json_error(400, "body must be JSON with an address", field="address")
        if "@" not in address or len(address) > 320 or any(c.isspace() for c in address):
            return json_error(400, "not an email address", field="address")
        created = await asyncio.to_thread(opt_out, self.sessions, address, "operator")
        return web.json_response({"address": address, "opted_out": True, "new": created}, status=201 if created else 200)
