"""A server process: the shared web app, every enabled channel's transport, and durable intake."""

from __future__ import annotations

import asyncio
import logging
import signal

import redis
from aiohttp import web

from channels.registry import CHANNELS
from config.schema import Settings
from frontdesk.channel import ChannelContext
from frontdesk.intake import Intake
from frontdesk.metrics import Metrics
from frontdesk.privacy.setup import apply_record_policy
from frontdesk.redis_server import check_eviction_policy
from frontdesk.store.cursors import CursorStore
from frontdesk.store.db import make_engine, make_sessions, migrate, migration_lock
from frontdesk.web.app import Services, create_app
from router.priority import urgent_screen

log = logging.getLogger(__name__)


def build_services(settings: Settings, redis_url: str, *, check_policy: bool = True) -> Services:
    """Connect Redis and the store (migrating it), and build intake and the enabled channel adapters."""
    connection = redis.Redis.from_url(redis_url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30)
    if check_policy:
        check_eviction_policy(connection)
    engine = make_engine(settings.effective_database_url)
    apply_record_policy(settings, engine, stores_payloads=True)
    migrate(engine, migration_lock(connection))  # serve and workers often start together on a fresh store
    sessions = make_sessions(engine)
    metrics = Metrics(connection)
    intake = Intake(sessions, connection, metrics, urgent=urgent_screen(settings.router))
    context = ChannelContext(
        settings=settings, redis=connection, cursors=CursorStore(sessions),
        lock=lambda name, ttl: connection.lock(f"frontdesk:lock:{name}", timeout=ttl, blocking=False),
    )
    adapters = {}
    for slug, adapter_class in CHANNELS.items():
        section = getattr(settings.channels, slug, None)
        if section is not None and getattr(section, "enabled", True):
            adapters[slug] = adapter_class(section, context)
    return Services(settings=settings, redis=connection, sessions=sessions, intake=intake, metrics=metrics,
                    adapters=adapters)


async def serve_forever(services: Services, host: str, port: int, on_ready=None, stop: asyncio.Event | None = None) -> None:
    """Serve HTTP and run every adapter's transport until SIGINT/SIGTERM, `stop`, or cancellation.

    `on_ready(port)` is called with the bound port once the server listens (port 0 picks one).
    """
    app = create_app(services)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    port = runner.addresses[0][1] if runner.addresses else port
    log.info("HTTP on http://%s:%s", host, port)
    tasks = {asyncio.create_task(adapter.run(services.intake.accept), name=f"channel:{slug}"): slug
             for slug, adapter in services.adapters.items()}
    services.channels.update(dict.fromkeys(services.adapters, "running"))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):
            pass  # not the main thread (tests): cancellation stops us instead
    if on_ready is not None:
        on_ready(port)
    try:
        await _wait_stop_or_crash(stop, tasks, services.channels)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runner.cleanup()
        services.metrics.flush()


async def _wait_stop_or_crash(stop: asyncio.Event, tasks: dict[asyncio.Task, str], states: dict[str, str]) -> None:
    """Wait for `stop`; a channel task that dies is logged, shown in /healthz (`states`), and the others go on."""
    stopper = asyncio.create_task(stop.wait())
    pending = {stopper, *tasks}
    while stopper in pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done - {stopper}:
            error = None if task.cancelled() else task.exception()
            states[tasks[task]] = f"stopped: {error!r}" if error is not None else "stopped"
            if error is not None:
                log.error("%s stopped: %r; the other channels go on", task.get_name(), error)
