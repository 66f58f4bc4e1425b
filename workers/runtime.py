"""Per-process wiring for job functions: settings, store, Redis, router, senders, templates, metrics.

RQ job functions take only ids; they reach everything else through
`runtime()`, installed once when the worker process starts (or by a test).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.schema import Settings
from frontdesk.metrics import Metrics
from frontdesk.privacy.setup import apply_record_policy
from frontdesk.sender import Sender, SenderContext
from frontdesk.store.db import make_engine, make_sessions
from outbound.templates import Templates
from frontdesk.judging import build_router
from router.route import Router

_current: "Runtime | None" = None
SEND_THREADS = 8  # deliveries sent at once by one worker process (workers/delivery.py)


@dataclass
class Runtime:
    """Everything a job needs, built lazily from the settings."""

    settings: Settings
    redis: redis.Redis
    engine: Engine | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.engine is None:
            self.engine = make_engine(self.settings.effective_database_url)
            apply_record_policy(self.settings, self.engine)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """Session factory on the case store."""
        return make_sessions(self.engine)

    @cached_property
    def router(self) -> Router:
        """The router, built from the router and acknowledgment settings."""
        return build_router(self.settings.router, self.settings.acknowledgments)

    @cached_property
    def templates(self) -> Templates:
        """Templates, the operator's directory first."""
        return Templates(self.settings.acknowledgments.templates_dir)

    @cached_property
    def send_pool(self) -> ThreadPoolExecutor:
        """The threads deliveries are sent on, kept for the process's life: started afresh for every batch,
        they cost a quarter of what the worker spent on sending besides waiting for the answers."""
        return ThreadPoolExecutor(max_workers=SEND_THREADS, thread_name_prefix="send")

    def close(self) -> None:
        """Let the send threads finish and end (a process that builds runtimes again and again: the tests)."""
        pool = self.__dict__.pop("send_pool", None)
        if pool is not None:
            pool.shutdown(wait=True)

    @cached_property
    def metrics(self) -> Metrics:
        """Shared metrics through Redis."""
        return Metrics(self.redis)

    @cached_property
    def senders(self) -> dict[str, Sender]:
        """One instance of every registered sender, each with its own settings section."""
        from outbound.registry import SENDERS

        context = SenderContext(settings=self.settings, redis=self.redis, extra=self.extra)
        outbound = self.settings.outbound
        return {slug: cls(getattr(outbound, slug, None), context) for slug, cls in SENDERS.items()}


    def warm_up(self) -> None:
        """Build the router (loading the model), templates and senders now rather than in the first job, and
        classify once: the first call pays the embedding table's page faults and the tokenizer's set-up, and the
        line in Italian loads the language identification model (English is told without it)."""
        self.router, self.templates, self.senders  # noqa: B018 (cached properties, built on first use)
        if self.router.model is not None:
            self.router.model([("My order arrived late and the box was damaged: please refund me", None),
                               ("Il mio ordine è arrivato in ritardo e la scatola era rotta", None)])


def install(runtime: Runtime) -> Runtime:
    """Make `runtime` the one job functions in this process use."""
    global _current
    _current = runtime
    return runtime


def runtime() -> Runtime:
    """The installed runtime; raises when the process was not set up as a worker."""
    if _current is None:
        raise RuntimeError("no worker runtime installed: start workers with `frontdesk worker`")
    return _current
