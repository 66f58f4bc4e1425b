"""The `accept` every channel calls: commit the raw payload, queue it, then answer.

Requests that arrive together are committed together (group commit): the
first waiting request starts a flush in a worker thread; requests arriving
meanwhile wait for the next one. Each flush is one INSERT ... ON CONFLICT DO
NOTHING, one COMMIT and one Redis round trip, however many requests it
carries, so the request path stays at one commit and one enqueue.

A payload that a paging rule names (router.priority) is queued ahead of the
intake backlog, so that under a flood its page does not wait for the flood.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import redis
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from ulid import ULID

from frontdesk.channel import Accepted
from frontdesk.errors import IntakeUnavailableError
from frontdesk.metrics import Metrics
from frontdesk.models import utcnow
from frontdesk.queue import INTAKE_BUFFER
from frontdesk.store.tables import RawPayload

if TYPE_CHECKING:
    from router.priority import UrgentScreen

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    row: dict
    first: bool
    future: asyncio.Future = field(repr=False)


class Intake:
    """Durable intake shared by every channel of one server process."""

    def __init__(self, sessions: sessionmaker[Session], connection: redis.Redis, metrics: Metrics, max_batch: int = 500,
                 urgent: UrgentScreen | None = None):
        """`urgent(body, content_type)` names the paging rule that puts a payload ahead of the backlog, if any."""
        self.sessions = sessions
        self.redis = connection
        self.metrics = metrics
        self.max_batch = max_batch
        self.urgent = urgent
        self._waiting: list[_Pending] = []
        self._flushing = False

    async def accept(
        self,
        channel: str,
        external_id: str,
        body: bytes,
        *,
        content_type: str = "application/json",
        meta: dict[str, str] | None = None,
        quarantine: str | None = None,
    ) -> Accepted:
        """Commit and queue one payload; see frontdesk.channel.Accept."""
        message_id = str(ULID())
        external_id = external_id or f"quarantine:{message_id}"
        row = dict(
            id=message_id, idempotency_key=f"{channel}:{external_id}", channel=channel, received_at=utcnow(),
            content_type=content_type, body=body, meta=dict(meta or {}),
            status="quarantined" if quarantine else "pending", error=quarantine,
        )
        rule = self.urgent(body, content_type) if self.urgent is not None and not quarantine else None
        future = asyncio.get_running_loop().create_future()
        self._waiting.append(_Pending(row, rule is not None, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush_loop())
        accepted = await future
        self.metrics.count("messages_in", channel=channel, result="duplicate" if accepted.duplicate else (
            "quarantined" if quarantine else "accepted"))
        if rule is not None and not accepted.duplicate:
            self.metrics.count("messages_first", channel=channel, rule=rule)
        return accepted

    async def _flush_loop(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch:]
                try:
                    results = await asyncio.to_thread(self._commit_and_queue, [item.row for item in batch],
                                                      {item.row["id"] for item in batch if item.first})
                except IntakeUnavailableError as error:
                    for item in batch:
                        item.future.set_exception(error)
                    continue
                for item, result in zip(batch, results):
                    item.future.set_result(result)
        finally:
            self._flushing = False

    def _commit_and_queue(self, rows: list[dict], first: set[str]) -> list[Accepted]:
        try:
            existing = self._commit(rows)
        except SQLAlchemyError as error:
            log.error("intake: database unavailable: %s: %s", type(error).__name__, str(getattr(error, "orig", error)).splitlines()[0][:200])
            raise IntakeUnavailableError("database unavailable") from None
        results, to_queue = [], []
        for row in rows:
            stored_id, status = existing[row["idempotency_key"]]
            results.append(Accepted(stored_id, duplicate=stored_id != row["id"]))
            if status == "pending" and stored_id not in to_queue:
                to_queue.append(stored_id)  # a duplicate still pending may have missed its job: queue again
        try:
            INTAKE_BUFFER.push(self.redis, [item for item in to_queue if item not in first],
                               first=[item for item in to_queue if item in first])
        except redis.RedisError as error:
            log.error("intake: redis unavailable: %s (committed rows will be swept)", type(error).__name__)
            raise IntakeUnavailableError("queue unavailable") from None
        return results

    def _commit(self, rows: list[dict]) -> dict[str, tuple[str, str]]:
        unique = list({row["idempotency_key"]: row for row in reversed(rows)}.values())
        with self.sessions.begin() as session:
            insert = _insert_for(session)
            session.execute(insert(RawPayload).on_conflict_do_nothing(index_elements=["idempotency_key"]), unique)
            keys = [row["idempotency_key"] for row in unique]
            found = session.execute(
                select(RawPayload.idempotency_key, RawPayload.id, RawPayload.status)
                .where(RawPayload.idempotency_key.in_(keys))
            ).all()
        return {key: (message_id, status) for key, message_id, status in found}


def _insert_for(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
