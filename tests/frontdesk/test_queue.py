"""frontdesk/queue.py: the buffers in front of RQ, and the ids they take first."""

from __future__ import annotations

import redis
from rq import Queue

from frontdesk.queue import INTAKE, INTAKE_BUFFER, queue_depths


def test_ids_pushed_first_are_taken_alone_before_the_backlog(redis_url):
    connection = redis.Redis.from_url(redis_url)
    INTAKE_BUFFER.push(connection, ["a", "b", "c"])
    INTAKE_BUFFER.push(connection, ["d"], first=["urgent-1"])
    INTAKE_BUFFER.push(connection, [], first=["urgent-2"])
    assert INTAKE_BUFFER.depth(connection) == 6
    assert queue_depths(connection)["buffer:intake"] == 6
    assert queue_depths(connection)["buffer:intake:first"] == 2
    assert INTAKE_BUFFER.take(connection, 3) == ["urgent-1", "urgent-2"]  # not topped up with routine ids
    assert INTAKE_BUFFER.take(connection, 3) == ["a", "b", "c"]
    assert INTAKE_BUFFER.take(connection, 3) == ["d"]
    assert INTAKE_BUFFER.take(connection, 3) == []
    assert Queue(INTAKE, connection=connection).count == 1  # one drain job for all those pushes


def test_a_drain_job_is_queued_for_ids_waiting_first(redis_url):
    connection = redis.Redis.from_url(redis_url)
    INTAKE_BUFFER.push(connection, [], first=["urgent-1"])
    Queue(INTAKE, connection=connection).empty()
    INTAKE_BUFFER.release(connection)  # as a drain job does when it starts
    INTAKE_BUFFER.ensure_drain(connection)
    assert Queue(INTAKE, connection=connection).count == 1
