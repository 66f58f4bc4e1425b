"""The aiohttp app factory: every HTTP surface of a server process in one app."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import redis
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from config.schema import Settings
from frontdesk.channel import HttpChannel, ReportsHealth
from frontdesk.intake import Intake
from frontdesk.mentions.web import MentionsView
from frontdesk.metrics import Metrics, registry_for
from frontdesk.queue import queue_depths
from frontdesk.dashboard.routes import dashboard_routes
from frontdesk.store.db import read_session
from frontdesk.web.api import CaseApi

log = logging.getLogger(__name__)
SERVICES = web.AppKey("services", object)


@dataclass
class Services:
    """The shared objects of one server process."""

    settings: Settings
    redis: redis.Redis
    sessions: sessionmaker[Session]
    intake: Intake
    metrics: Metrics
    adapters: dict = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)  # slug -> "running" or "stopped: why" (serve_forever)


def create_app(services: Services) -> web.Application:
    """Build the app: health, metrics, the case API, and the routes of every HTTP channel."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[SERVICES] = services
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_routes(CaseApi(services).routes())
    app.router.add_routes(dashboard_routes(services))
    app.router.add_routes(MentionsView(services).routes())
    for slug, adapter in services.adapters.items():
        if isinstance(adapter, HttpChannel):
            app.router.add_routes(adapter.routes(services.intake.accept))
            log.info("%s channel: routes mounted", slug)
    return app


async def healthz(request: web.Request) -> web.Response:
    """Redis, database, queue depths and the channels' transports; 503 when either store is unreachable (this
    process can take no message), "degraded" with 200 when a channel stopped (the others still take theirs)."""
    services: Services = request.app[SERVICES]
    report = await asyncio.to_thread(_health, services)
    stores = report["redis"] == "ok" and report["database"] == "ok"
    channels = all(state == "running" for state in report["channels"].values())
    return web.json_response({"status": "ok" if stores and channels else "degraded", **report},
                             status=200 if stores else 503)


def _health(services: Services) -> dict:
    report: dict = {}
    try:
        services.redis.ping()
        report["redis"] = "ok"
        report["queues"] = queue_depths(services.redis)
    except redis.RedisError as error:
        report["redis"] = f"unavailable: {type(error).__name__}"
    try:
        with read_session(services.sessions) as session:
            session.execute(text("SELECT 1"))
        report["database"] = "ok"
    except Exception as error:  # any driver error means "not healthy", and says which
        report["database"] = f"unavailable: {type(error).__name__}"
    report["channels"] = channel_states(services)
    return report


def channel_states(services: Services) -> dict[str, str]:
    """Each channel's transport: "running", "stopped: why" (serve_forever), or "failing: what" when its adapter
    reports something that keeps failing (a poller whose token was revoked)."""
    states = dict(services.channels)
    for slug, state in states.items():
        adapter = services.adapters.get(slug)
        problem = adapter.health() if state == "running" and isinstance(adapter, ReportsHealth) else None
        if problem:
            states[slug] = f"failing: {problem}"
    return states


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition of the shared metrics."""
    services: Services = request.app[SERVICES]
    services.metrics.flush()
    try:
        body = await asyncio.to_thread(generate_latest, registry_for(services.redis, channel_states(services)))
    except redis.RedisError:
        return web.Response(status=503, text="metrics unavailable: redis unreachable\n")
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
