"""Periodic jobs (sweeper, and later SLA clocks and retention), queued once per interval across all workers.

Every worker process runs a small thread that, for each entry of PERIODIC,
queues the job under the key `periodic:<job>:<interval number>`; the key
makes the job unique per interval however many workers race for it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

import redis

from frontdesk.queue import OUTBOUND, enqueue_keyed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    """A job path and a function of the settings giving its interval in seconds."""

    job: str
    interval: Callable[[object], float]


PERIODIC: list[Periodic] = [
    Periodic("workers.jobs.sweep", lambda settings: settings.workers.sweep_interval.total_seconds()),
    Periodic("workers.retention.purge", lambda settings: settings.retention.interval.total_seconds()),
    Periodic("workers.mentions.check_spikes", lambda settings: settings.mentions.check_interval.total_seconds()),
    Periodic("workers.clocks.check", lambda settings: settings.clocks.check_interval.total_seconds()),
]


def queue_due(connection: redis.Redis, settings, now: float | None = None) -> int:
    """Queue every periodic job whose current interval has not been queued yet; returns how many."""
    now = time.time() if now is None else now
    queued = 0
    for entry in PERIODIC:
        interval = max(1.0, entry.interval(settings))
        key = f"periodic:{entry.job}:{int(now // interval)}"
        if connection.set(f"frontdesk:{key}", "1", nx=True, ex=int(interval * 2) + 1):
            enqueue_keyed(connection, OUTBOUND, entry.job, key, timeout=300, retries=0)
            queued += 1
    return queued


class PeriodicThread(threading.Thread):
    """Queues due periodic jobs about once a second until stopped."""

    def __init__(self, connection: redis.Redis, settings):
        super().__init__(name="frontdesk-periodic", daemon=True)
        self.connection = connection
        self.settings = settings
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            try:
                queue_due(self.connection, self.settings)
            except redis.RedisError as error:
                log.warning("periodic jobs not queued: %s", type(error).__name__)

    def stop(self) -> None:
        """Stop after the current tick."""
        self.stopped.set()
