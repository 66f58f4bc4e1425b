"""Personal data in Redis: removing a person's traces, and keeping job records within the retention policy.

RQ keeps each job as a hash whose `data` (function and arguments), `exc_info`
and `meta` fields are compressed or pickled, so jobs are read through RQ
itself; every other key is read by type. A job whose text mentions the
person is deleted with its registry entries; in other keys only the
matching values (list items, set members, hash fields, stream entries) go.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

log = logging.getLogger(__name__)
SCAN_COUNT = 500
ENDED = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


@dataclass
class ScrubReport:
    """How many RQ jobs and other keys or values were removed."""

    jobs: int = 0
    values: int = 0


def needles_for(identifiers: Iterable[str]) -> list[bytes]:
    """The byte strings to look for: each identifier as UTF-8 and as it appears escaped inside JSON."""
    import json

    needles = set()
    for value in identifiers:
        needles.add(value.encode())
        needles.add(json.dumps(value)[1:-1].encode())
    return sorted(needles, key=len, reverse=True)


def job_text(job: Job) -> bytes:
    """Everything a job record says, as text: description, arguments, error, meta, latest result."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # exc_info is still stored, whatever RQ prefers
        exc_info = job.exc_info
    parts = [job.description or "", repr(job.args), repr(job.kwargs), exc_info or "", repr(job.meta)]
    try:
        result = job.latest_result()
    except Exception:  # an unreadable result is no reason to keep the job
        result = None
    if result is not None:
        parts += [result.exc_string or "", repr(result.return_value)]
    return "\n".join(parts).encode(errors="replace")


def scrub(connection: redis.Redis, identifiers: Iterable[str]) -> ScrubReport:
    """Remove every RQ job and Redis value that contains one of `identifiers`."""
    needles = needles_for(identifiers)
    report = ScrubReport()
    if not needles:
        return report
    for key in connection.scan_iter(match="rq:job:*", count=SCAN_COUNT):
        report.jobs += _scrub_job(connection, key, needles)
    for key in connection.scan_iter(count=SCAN_COUNT):
        if not key.startswith(b"rq:job:"):
            report.values += _scrub_key(connection, key, needles)
    return report


def _found(value: bytes | None, needles: list[bytes]) -> bool:
    return bool(value) and any(needle in value for needle in needles)


def _scrub_job(connection: redis.Redis, key: bytes, needles: list[bytes]) -> int:
    job_id = key.decode().removeprefix("rq:job:")
    if ":" in job_id:
        return 0
    try:
        job = Job.fetch(job_id, connection=connection)
        text = job_text(job)
    except NoSuchJobError:
        return 0
    except Exception:  # a record RQ cannot read is judged by its raw bytes
        text = b"\n".join(connection.hvals(key))
        job = None
    if not _found(text, needles):
        return 0
    if job is not None:
        job.delete(remove_from_queue=True, delete_dependents=False)
    connection.delete(key, f"rq:results:{job_id}")
    return 1


def _scrub_key(connection: redis.Redis, key: bytes, needles: list[bytes]) -> int:
    kind = connection.type(key)
    if kind == b"string":
        if _found(connection.get(key), needles):
            return connection.delete(key)
    elif kind == b"list":
        return sum(connection.lrem(key, 0, item) for item in set(connection.lrange(key, 0, -1))
                   if _found(item, needles))
    elif kind == b"set":
        members = [item for item in connection.smembers(key) if _found(item, needles)]
        return connection.srem(key, *members) if members else 0
    elif kind == b"zset":
        members = [item for item in connection.zrange(key, 0, -1) if _found(item, needles)]
        return connection.zrem(key, *members) if members else 0
    elif kind == b"hash":
        fields = [name for name, value in connection.hgetall(key).items()
                  if _found(name, needles) or _found(value, needles)]
        return connection.hdel(key, *fields) if fields else 0
    elif kind == b"stream":
        entries = [entry_id for entry_id, fields in connection.xrange(key)
                   if any(_found(name, needles) or _found(value, needles) for name, value in fields.items())]
        return connection.xdel(key, *entries) if entries else 0
    return 0


def compact(connection: redis.Redis, wait_seconds: float = 30.0) -> bool:
    """Rewrite the append-only file so removed values leave no copy on disk; False when Redis refuses.

    A rewrite already running took its snapshot before the scrub, so this
    waits for it to end (bounded) and starts a fresh one.
    """
    try:
        if connection.config_get("appendonly").get("appendonly") != "yes":
            return False
        deadline = time.monotonic() + wait_seconds
        while connection.info("persistence").get("aof_rewrite_in_progress") and time.monotonic() < deadline:
            time.sleep(0.05)
        connection.bgrewriteaof()
        return True
    except redis.ResponseError as error:
        log.warning("Redis AOF not rewritten after erasure: %s", str(error)[:200])
        return False


def expire_job_records(connection: redis.Redis, keep: timedelta) -> int:
    """Give every ended RQ job record (and its results) a TTL of at most `keep`; returns how many changed."""
    seconds = max(1, int(keep.total_seconds()))
    changed = 0
    for key in connection.scan_iter(match="rq:job:*", count=SCAN_COUNT):
        status = connection.hget(key, "status")
        if status is None or status.decode() not in ENDED:
            continue
        ttl = connection.ttl(key)
        if ttl == -1 or ttl > seconds:
            connection.expire(key, seconds)
            changed += 1
    for key in connection.scan_iter(match="rq:results:*", count=SCAN_COUNT):
        ttl = connection.ttl(key)
        if ttl == -1 or ttl > seconds:
            connection.expire(key, seconds)
            changed += 1
    return changed
