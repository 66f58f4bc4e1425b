"""Queue wiring: the RQ queues, and the batching buffers in front of them.

RQ costs a few milliseconds per job, so one job per message per step would
cap the pipeline near 150 messages per second. Instead, intake pushes message
ids onto a Redis list (the *buffer*) and makes sure one drain job is queued;
a drain job takes up to `batch_size` ids at a time and works through them in
one database transaction. Pages, escalation steps and retries stay one RQ job
each, with their idempotency key as the job id. The store is the source of
truth: a sweeper re-buffers anything committed that no job holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

import redis
from rq import Queue, Retry
from ulid import ULID

PAGES, INTAKE, OUTBOUND = "pages", "intake", "outbound"
# Workers take pages first, then finish work in progress (acknowledgments) before routing new messages,
# so a flood of intake delays no acknowledgment; what waits in intake is already durable.
QUEUE_ORDER = (PAGES, OUTBOUND, INTAKE)
KEY_PREFIX = "frontdesk"
FAILURE_TTL = 7 * 24 * 3600  # seconds RQ keeps a failed job (its own default is a year)


class Buffer:
    """A Redis list of ids plus the rule that one drain job is queued while it is non-empty."""

    def __init__(self, name: str, queue: str, job: str, job_timeout: int, flag_ttl: int):
        self.name = name
        # The flag says "a drain job is queued"; the job clears it when it starts. Its TTL bounds
        # the stall if a queued job is lost (a worker dying between dequeue and start).
        self.flag_ttl = flag_ttl
        self.queue = queue
        self.job = job
        self.job_timeout = job_timeout
        self.list_key = f"{KEY_PREFIX}:buffer:{name}"
        # Ids that go ahead of the rest (intake: what a paging rule names, see router.priority).
        self.first_key = f"{KEY_PREFIX}:buffer:{name}:first"
        self.flag_key = f"{KEY_PREFIX}:buffer:{name}:drain-queued"

    def push(self, connection: redis.Redis, ids: Iterable[str | int], first: Iterable[str | int] = ()) -> None:
        """Append ids (`first` ones to the list taken first) and make sure a drain job is queued (one round trip
        when one already is)."""
        ids, first = [str(item) for item in ids], [str(item) for item in first]
        if not ids and not first:
            return
        pipe = connection.pipeline(transaction=False)
        if ids:
            pipe.rpush(self.list_key, *ids)
        if first:
            pipe.rpush(self.first_key, *first)
        pipe.set(self.flag_key, "1", nx=True, ex=self.flag_ttl)
        if pipe.execute()[-1]:
            self._enqueue_drain(connection)

    def ensure_drain(self, connection: redis.Redis) -> None:
        """Queue a drain job if the buffer holds ids and none is queued."""
        if self.depth(connection) and connection.set(self.flag_key, "1", nx=True, ex=self.flag_ttl):
            self._enqueue_drain(connection)

    def release(self, connection: redis.Redis) -> None:
        """Called by a drain job as it starts: the next push may queue another drain job."""
        connection.delete(self.flag_key)

    def take(self, connection: redis.Redis, count: int) -> list[str]:
        """Pop up to `count` ids: those pushed `first`, alone while any wait (a small batch is routed and
        paged sooner), else from the head of the buffer."""
        popped = connection.lpop(self.first_key, count) or connection.lpop(self.list_key, count)
        return [item.decode() if isinstance(item, bytes) else item for item in popped or []]

    def depth(self, connection: redis.Redis) -> int:
        """How many ids wait in the buffer."""
        return sum(self.depths(connection))

    def depths(self, connection: redis.Redis) -> tuple[int, int]:
        """How many ids wait to be taken first, and how many behind them."""
        pipe = connection.pipeline(transaction=False)
        pipe.llen(self.first_key)
        pipe.llen(self.list_key)
        first, rest = pipe.execute()
        return first, rest

    def _enqueue_drain(self, connection: redis.Redis) -> None:
        Queue(self.queue, connection=connection).enqueue(
            self.job, job_id=f"drain-{self.name}-{ULID()}", job_timeout=self.job_timeout,
            result_ttl=0, failure_ttl=FAILURE_TTL,
        )


INTAKE_BUFFER = Buffer("intake", INTAKE, "workers.jobs.drain_intake", job_timeout=300, flag_ttl=30)
OUTBOUND_BUFFER = Buffer("outbound", OUTBOUND, "workers.jobs.drain_outbound", job_timeout=300, flag_ttl=30)
BUFFERS = (INTAKE_BUFFER, OUTBOUND_BUFFER)


def cap_job_record_ttl(seconds: int) -> None:
    """Keep failed job records no longer than `seconds` (the retention policy's `job_records`)."""
    global FAILURE_TTL
    FAILURE_TTL = max(60, min(FAILURE_TTL, int(seconds)))


def enqueue_keyed(
    connection: redis.Redis,
    queue: str,
    job: str,
    key: str,
    *args,
    delay: timedelta | None = None,
    timeout: int = 60,
    retries: int = 3,
) -> None:
    """Queue `job(*args)` once under the idempotency key `key` (the RQ job id).

    A job already known under that key (queued, scheduled, running or
    finished) is left alone, so a re-run of the code that enqueues it does
    not queue it twice. Arguments are ids, never personal data.
    """
    rq_queue = Queue(queue, connection=connection)
    job_id = job_id_for(key)
    if connection.exists(f"rq:job:{job_id}"):
        return
    options = dict(job_id=job_id, job_timeout=timeout, result_ttl=3600, failure_ttl=FAILURE_TTL,
                   retry=Retry(max=retries, interval=[2, 10, 30][:retries]) if retries else None)
    if delay and delay.total_seconds() > 0:
        rq_queue.enqueue_in(delay, job, *args, **options)
    else:
        rq_queue.enqueue(job, *args, **options)


def job_id_for(key: str) -> str:
    """An RQ job id for an idempotency key: RQ allows only letters, digits, `_` and `-`,
    so every other character (and `_` itself) is written as `_<hex>`, which keeps distinct keys distinct."""
    return re.sub(r"[^A-Za-z0-9-]", lambda match: f"_{ord(match.group(0)):02x}", key)


def queue_depths(connection: redis.Redis) -> dict[str, int]:
    """Jobs waiting per RQ queue and ids waiting per buffer (and, of intake's, how many wait to go first)."""
    depths = {name: Queue(name, connection=connection).count for name in QUEUE_ORDER}
    for buffer in BUFFERS:
        first, rest = buffer.depths(connection)
        depths[f"buffer:{buffer.name}"] = first + rest
        if buffer is INTAKE_BUFFER:  # the only one anything is put first on
            depths[f"buffer:{buffer.name}:first"] = first
    return depths
