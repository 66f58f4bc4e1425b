"""The worker process: RQ workers on the queues `pages`, `outbound`, `intake` (in that order) with the scheduler."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import redis
from rq import SimpleWorker

from config.schema import Settings
from frontdesk import heap
from frontdesk.platform import PARENT_ENV
from frontdesk.queue import QUEUE_ORDER
from frontdesk.store.db import migrate, migration_lock
from workers import jobs  # noqa: F401  (imported with the process, not by RQ inside the first job)
from workers.periodic import PeriodicThread
from workers.runtime import Runtime, install

log = logging.getLogger(__name__)


def run_worker(settings: Settings, redis_url: str, *, burst: bool = False, name: str | None = None) -> None:
    """Work the queues until stopped (SIGTERM or Ctrl-C finish the current job first).

    SimpleWorker runs jobs in this process: jobs are batches, and forking per
    job would cost more than most batches take.
    """
    connection = redis.Redis.from_url(redis_url)
    runtime = install(Runtime(settings=settings, redis=connection))
    migrate(runtime.engine, migration_lock(connection))
    runtime.warm_up()
    heap.settle()
    periodic = PeriodicThread(connection, settings)
    periodic.start()
    stop_when_orphaned(os.environ.get(PARENT_ENV))
    try:
        worker = SimpleWorker(list(QUEUE_ORDER), connection=connection, name=name)
        log.info("worker %s: listening on %s, with the scheduler", worker.name, ", ".join(QUEUE_ORDER))
        # RQ logs four lines at INFO for every job (and a drain runs many times a second under load); left at
        # the level `frontdesk` gave its loggers, it speaks up for warnings and failures, and at DEBUG for all.
        worker.work(with_scheduler=True, burst=burst,
                    logging_level="DEBUG" if settings.log_level == "DEBUG" else None)
    finally:
        periodic.stop()


def stop_when_orphaned(parent: str | None, interval: float = 1.0) -> threading.Thread | None:
    """A worker started by `frontdesk run` (`parent` is its pid) stops like on SIGTERM, after its current job,
    once that process is gone: killed outright, it cannot stop its workers itself."""
    if not parent:
        return None

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(interval)
        log.warning("frontdesk run (pid %s) is gone: this worker stops after its current job", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=watch, name="frontdesk-orphan-watch", daemon=True)
    watcher.start()
    return watcher
