"""Routing a batch of committed payloads: parse, route, record, plan acknowledgments and pages.

One transaction per batch, one savepoint per message: a message that breaks
(a parser bug, a constraint race) is quarantined with its error and the rest
of the batch goes on. Only payloads still 'pending' are touched, so a re-run
of the same ids does nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels.registry import CHANNELS
from frontdesk.errors import MalformedPayloadError, UnsupportedEventError
from frontdesk.mentions.store import index_public, opens_case
from frontdesk.models import FLAG_UNPARSED, Contact, Message, RawInbound, utcnow
from frontdesk.queue import OUTBOUND_BUFFER
from frontdesk.store.cases import record_message, record_opt_out
from frontdesk.store.lookup import SqlCaseLookup
from frontdesk.store.tables import RawPayload
from workers.escalation import StepJobs, begin_step, enqueue_step_jobs
from workers.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class BatchOutcome:
    """What a routed batch left to do after its commit, and its counts."""

    acks: list[int] = field(default_factory=list)
    steps: list[StepJobs] = field(default_factory=list)
    routed: int = 0
    quarantined: int = 0
    ignored: int = 0


def route_batch(rt: Runtime, message_ids: list[str]) -> BatchOutcome:
    """Route every still-pending payload among `message_ids` and queue what follows."""
    outcome = BatchOutcome()
    with rt.sessions.begin() as session:
        raws = session.scalars(
            select(RawPayload).where(RawPayload.id.in_(message_ids), RawPayload.status == "pending")
            .order_by(RawPayload.received_at, RawPayload.id).with_for_update(skip_locked=True)
        ).all()
        lookup = SqlCaseLookup(session)
        for raw in raws:
            _route_isolated(rt, session, raw, lookup, outcome)
    OUTBOUND_BUFFER.push(rt.redis, outcome.acks)
    for jobs in outcome.steps:
        enqueue_step_jobs(rt, jobs)
    rt.metrics.flush()
    return outcome


def _route_isolated(rt: Runtime, session: Session, raw: RawPayload, lookup, outcome: BatchOutcome) -> None:
    for attempt in (1, 2):
        savepoint = session.begin_nested()
        try:
            _route_one(rt, session, raw, lookup, outcome)
            savepoint.commit()
            return
        except IntegrityError:
            savepoint.rollback()  # a concurrent worker created the same contact or key: look again
            if attempt == 2:
                _quarantine(rt, raw, "conflict: could not record after retry", outcome)
        except Exception as error:
            savepoint.rollback()
            log.exception("routing %s failed; quarantined", raw.id)
            _quarantine(rt, raw, f"internal error while routing: {type(error).__name__}", outcome)
            return


def _route_one(rt: Runtime, session: Session, raw: RawPayload, lookup, outcome: BatchOutcome) -> None:
    adapter = CHANNELS.get(raw.channel)
    inbound = RawInbound(id=raw.id, channel=raw.channel, external_id=raw.idempotency_key.split(":", 1)[1],
                         received_at=raw.received_at, body=raw.body, content_type=raw.content_type, meta=raw.meta)
    try:
        if adapter is None:
            raise MalformedPayloadError(f"no channel {raw.channel!r} is registered")
        message = adapter.parse(inbound)
    except UnsupportedEventError as error:
        raw.status, raw.error = "ignored", str(error)[:1000]
        outcome.ignored += 1
        rt.metrics.count("messages_in", channel=raw.channel, result="ignored")
        return
    except MalformedPayloadError as error:
        raw.status, raw.error = "quarantined", str(error)[:1000]
        outcome.quarantined += 1
        rt.metrics.count("messages_in", channel=raw.channel, result="quarantined")
        if not getattr(adapter, "quarantine_opens_case", False):
            return
        message = unparsed_message(inbound, str(error))
    attach_report = getattr(adapter, "attach_report", None)
    if attach_report is not None and attach_report(session, message):
        raw.status = "routed"  # a delivery report: recorded on the delivery it reports on, no case of its own
        rt.metrics.count("messages_in", channel=raw.channel, result="delivery_report")
        return
    started = utcnow()
    decision = rt.router.route(message, lookup)
    if not opens_case(message, decision):
        index_public(session, message, decision.urgency, None, rt.settings)
        raw.status = "routed"
        outcome.routed += 1
        rt.metrics.count("routed", channel=message.channel, urgency=decision.urgency)
        return
    sender = rt.senders.get(message.channel)
    target = sender.reply_target(message) if sender is not None else None
    recorded = record_message(session, message, decision, ack_target=target,
                              ack_window=rt.settings.acknowledgments.window)
    if decision.classification.opt_out:
        record_opt_out(session, message.channel, message.sender.handle, "router", recorded.case_id)
    index_public(session, message, decision.urgency, recorded.case_id, rt.settings)
    if raw.status == "pending":
        raw.status = "routed"
    _plan_follow_ups(rt, session, message, recorded, outcome)
    rt.metrics.count("routed", channel=message.channel, urgency=decision.urgency)
    rt.metrics.observe("routing_seconds", (utcnow() - message.received_at).total_seconds(), channel=message.channel)
    log.debug("routed %s in %.1f ms", message.id, (utcnow() - started).total_seconds() * 1000)


def _plan_follow_ups(rt: Runtime, session: Session, message: Message, recorded, outcome: BatchOutcome) -> None:
    outcome.routed += 1
    if recorded.ack_delivery_id is not None:
        outcome.acks.append(recorded.ack_delivery_id)
    if recorded.start_paging:
        jobs = begin_step(rt, session, recorded.case_id, 0, message.id)
        if jobs is not None:
            outcome.steps.append(jobs)


def _quarantine(rt: Runtime, raw: RawPayload, why: str, outcome: BatchOutcome) -> None:
    raw.status, raw.error = "quarantined", why
    outcome.quarantined += 1
    rt.metrics.count("messages_in", channel=raw.channel, result="quarantined")


def unparsed_message(raw: RawInbound, error: str) -> Message:
    """A stand-in Message for a payload that could not be parsed, so a human sees it in a case."""
    handle = raw.meta.get("sender") or "unknown"
    return Message(
        id=raw.id, channel=raw.channel, external_id=raw.external_id,
        sender=Contact(channel=raw.channel, handle=handle), subject="(could not be parsed)",
        text=f"This {raw.channel} message could not be parsed ({error}). The raw payload is kept as {raw.id}.",
        sent_at=raw.received_at, received_at=raw.received_at, flags=frozenset({FLAG_UNPARSED}),
    )
