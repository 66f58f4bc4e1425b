"""Routing a batch of committed payloads: parse, route, record, plan acknowledgments and pages.

One transaction per batch, recorded by frontdesk/store/recorder.py in a few
statements per table. If anything in the batch breaks (a parser bug, a
constraint race with another worker), the batch is rolled back and its
messages are routed again one transaction each, so that only the message
that breaks is quarantined with its error. Only payloads still 'pending'
are touched, so a re-run of the same ids does nothing twice.
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
from frontdesk.store.cases import record_opt_out
from frontdesk.store.recorder import Recorder
from frontdesk.store.tables import RawPayload
from router.threading import asked_keys
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
    paging: dict[int, str] = field(default_factory=dict)  # case -> the message that starts its paging
    counts: list[tuple[str, dict]] = field(default_factory=list)  # metrics, counted once the batch commits
    latencies: list[tuple[float, str]] = field(default_factory=list)

    def add(self, other: "BatchOutcome") -> None:
        """Fold in the outcome of another committed transaction."""
        self.acks += other.acks
        self.steps += other.steps
        self.routed += other.routed
        self.quarantined += other.quarantined
        self.ignored += other.ignored
        self.counts += other.counts
        self.latencies += other.latencies

    def count(self, name: str, **labels: str) -> None:
        """A metric to count once the batch commits."""
        self.counts.append((name, labels))


def route_batch(rt: Runtime, message_ids: list[str]) -> BatchOutcome:
    """Route every still-pending payload among `message_ids` and queue what follows."""
    try:
        outcome = _route_together(rt, message_ids)
    except Exception as error:
        log.warning("routing a batch of %d failed (%s); routing its messages one by one",
                    len(message_ids), type(error).__name__)
        outcome = BatchOutcome()
        for message_id in message_ids:
            outcome.add(_route_alone(rt, message_id))
    OUTBOUND_BUFFER.push(rt.redis, outcome.acks)
    for jobs in outcome.steps:
        enqueue_step_jobs(rt, jobs)
    for name, labels in outcome.counts:
        rt.metrics.count(name, **labels)
    for seconds, channel in outcome.latencies:
        rt.metrics.observe("routing_seconds", seconds, channel=channel)
    rt.metrics.flush()
    return outcome


def _route_together(rt: Runtime, message_ids: list[str]) -> BatchOutcome:
    outcome = BatchOutcome()
    with rt.sessions.begin() as session:
        raws = session.scalars(
            select(RawPayload).where(RawPayload.id.in_(message_ids), RawPayload.status == "pending")
            .order_by(RawPayload.received_at, RawPayload.id).with_for_update(skip_locked=True)
        ).all()
        recorder = Recorder(session)
        parsed = [(raw, message) for raw in raws if (message := _parse(session, raw, outcome)) is not None]
        keys: set[str] = set()
        for _, message in parsed:
            keys.update(*asked_keys(message))
        recorder.lookup.prefetch(keys, {(message.channel, message.sender.handle) for _, message in parsed})
        for raw, message in parsed:
            _route_one(rt, session, raw, message, recorder, outcome)
        ack_ids = recorder.flush()
        outcome.acks = list(ack_ids.values())
        for case_id, message_id in outcome.paging.items():
            jobs = begin_step(rt, session, case_id, 0, message_id)
            if jobs is not None:
                outcome.steps.append(jobs)
    return outcome


def _route_alone(rt: Runtime, message_id: str) -> BatchOutcome:
    """Route one message in its own transaction; quarantine it, with why, when it cannot be."""
    why = "conflict: could not record after retry"
    for _attempt in (1, 2):
        try:
            return _route_together(rt, [message_id])
        except IntegrityError:
            continue  # a concurrent worker created the same contact or key: look again
        except Exception as error:
            log.exception("routing %s failed; quarantined", message_id)
            why = f"internal error while routing: {type(error).__name__}"
            break
    outcome = BatchOutcome()
    with rt.sessions.begin() as session:
        raw = session.get(RawPayload, message_id)
        if raw is not None and raw.status == "pending":
            _quarantine(raw, why, outcome)
    return outcome


def _parse(session: Session, raw: RawPayload, outcome: BatchOutcome) -> Message | None:
    """The payload's message, or None when there is nothing to route (ignored, quarantined, a delivery report)."""
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
        outcome.count("messages_in", channel=raw.channel, result="ignored")
        return None
    except MalformedPayloadError as error:
        _quarantine(raw, str(error)[:1000], outcome)
        if not getattr(adapter, "quarantine_opens_case", False):
            return None
        message = unparsed_message(inbound, str(error))
    attach_report = getattr(adapter, "attach_report", None)
    if attach_report is not None and attach_report(session, message):
        raw.status = "routed"  # a delivery report: recorded on the delivery it reports on, no case of its own
        outcome.count("messages_in", channel=raw.channel, result="delivery_report")
        return None
    return message


def _route_one(rt: Runtime, session: Session, raw: RawPayload, message: Message, recorder: Recorder,
               outcome: BatchOutcome) -> None:
    decision = rt.router.route(message, recorder.lookup)
    if raw.status == "pending":
        raw.status = "routed"
    outcome.routed += 1
    outcome.count("routed", channel=message.channel, urgency=decision.urgency)
    if not opens_case(message, decision):
        index_public(session, message, decision.urgency, None, rt.settings)
        return None
    sender = rt.senders.get(message.channel)
    target = sender.reply_target(message) if sender is not None else None
    recorded = recorder.record(message, decision, ack_target=target, ack_window=rt.settings.acknowledgments.window)
    if decision.classification.opt_out:
        record_opt_out(session, message.channel, message.sender.handle, "router", recorded.case_id)
    index_public(session, message, decision.urgency, recorded.case_id, rt.settings)
    if recorded.start_paging:
        outcome.paging.setdefault(recorded.case_id, message.id)
    outcome.latencies.append(((utcnow() - message.received_at).total_seconds(), message.channel))


def _quarantine(raw: RawPayload, why: str, outcome: BatchOutcome) -> None:
    raw.status, raw.error = "quarantined", why
    outcome.quarantined += 1
    outcome.count("messages_in", channel=raw.channel, result="quarantined")


def unparsed_message(raw: RawInbound, error: str) -> Message:
    """A stand-in Message for a payload that could not be parsed, so a human sees it in a case."""
    handle = raw.meta.get("sender") or "unknown"
    return Message(
        id=raw.id, channel=raw.channel, external_id=raw.external_id,
        sender=Contact(channel=raw.channel, handle=handle), subject="(could not be parsed)",
        text=f"This {raw.channel} message could not be parsed ({error}). The raw payload is kept as {raw.id}.",
        sent_at=raw.received_at, received_at=raw.received_at, flags=frozenset({FLAG_UNPARSED}),
    )
