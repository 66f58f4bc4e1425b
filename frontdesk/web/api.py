"""The JSON API on cases: list, detail, acknowledge, resolve (bearer token of an API client)."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from frontdesk.queue import PAGES, enqueue_keyed
from frontdesk.store.cases import acknowledge_case, resolve_case
from frontdesk.store.db import read_session
from frontdesk.store.queries import case_detail, list_cases
from frontdesk.web.auth import client_for, may
from frontdesk.web.responses import json_error

URGENCY_VALUES = {"critical", "high", "normal", "low"}
STATUS_VALUES = {"open", "acknowledged", "resolved"}


class CaseApi:
    """Handlers for `/api/cases…`; the app's shared objects come from the request's app."""

    def __init__(self, services):
        self.services = services

    def routes(self) -> list[web.RouteDef]:
        """The routes this API serves."""
        return [
            web.get("/api/cases", self.list),
            web.get(r"/api/cases/{case_id:\d+}", self.detail),
            web.post(r"/api/cases/{case_id:\d+}/ack", self.acknowledge),
            web.post(r"/api/cases/{case_id:\d+}/resolve", self.resolve),
        ]

    def _client(self, request: web.Request):
        return client_for(self.services.settings.channels.api.clients, request.headers.get("Authorization", ""))

    async def list(self, request: web.Request) -> web.Response:
        if self._client(request) is None:
            return json_error(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})
        query = request.query
        if query.get("urgency") and query["urgency"] not in URGENCY_VALUES:
            return json_error(400, f"urgency must be one of {sorted(URGENCY_VALUES)}", field="urgency")
        if query.get("status") and query["status"] not in STATUS_VALUES:
            return json_error(400, f"status must be one of {sorted(STATUS_VALUES)}", field="status")
        try:
            limit = min(max(int(query.get("limit", 100)), 1), 1000)
            before = int(query["before"]) if "before" in query else None
        except ValueError:
            return json_error(400, "limit and before must be integers", field="limit")
        cases = await asyncio.to_thread(self._list, query.get("status"), query.get("urgency"),
                                        query.get("channel"), limit, before)
        return web.json_response({"cases": cases})

    def _list(self, status, urgency, channel, limit, before):
        with read_session(self.services.sessions) as session:
            return list_cases(session, status=status, urgency=urgency, channel=channel, limit=limit, before_id=before)

    async def detail(self, request: web.Request) -> web.Response:
        if self._client(request) is None:
            return json_error(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})
        detail = await asyncio.to_thread(self._detail, int(request.match_info["case_id"]))
        if detail is None:
            return json_error(404, "no such case")
        return web.json_response(detail)

    def _detail(self, case_id: int):
        with read_session(self.services.sessions) as session:
            return case_detail(session, case_id)

    async def acknowledge(self, request: web.Request) -> web.Response:
        return await self._change(request, acknowledge_case, "acknowledged")

    async def resolve(self, request: web.Request) -> web.Response:
        return await self._change(request, resolve_case, "resolved")

    async def _change(self, request: web.Request, operation, verb: str) -> web.Response:
        client = self._client(request)
        if client is None:
            return json_error(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})
        if not may(client, "agent"):
            return json_error(403, f"the {client.role} role cannot change cases; agent or admin can")
        by = await _actor(request)
        if by is None:
            return json_error(400, "body must be empty or a JSON object with a string 'by'", field="by")
        actor = f"{by} (api:{client.name})" if by else f"api:{client.name}"
        case_id = int(request.match_info["case_id"])
        changed = await asyncio.to_thread(self._apply, operation, case_id, actor)
        if changed is None:
            return json_error(404, "no such case")
        if changed:
            await asyncio.to_thread(enqueue_keyed, self.services.redis, PAGES, "workers.jobs.refresh_pages",
                                    f"refresh:{case_id}:{verb}", case_id)
        return web.json_response({"id": case_id, verb: True, "changed": changed})

    def _apply(self, operation, case_id: int, actor: str) -> bool | None:
        from frontdesk.store.tables import Case

        with self.services.sessions.begin() as session:
            if session.get(Case, case_id) is None:
                return None
            return operation(session, case_id, actor, via="api")


async def _actor(request: web.Request) -> str | None:
    """The optional `by` of the body; None when the body is not acceptable."""
    raw = await request.content.read(4097)
    if not raw.strip():
        return ""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    by = body.get("by", "") if isinstance(body, dict) else None
    if not isinstance(by, str) or len(by) > 128 or any(ch in by for ch in "\r\n"):
        return None
    return by
