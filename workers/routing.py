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
from dataclasses import dataclass, field, replace

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels.registry import CHANNELS
from frontdesk.errors import MalformedPayloadError, UnsupportedEventError
from frontdesk.mentions.store import index_public, opens_case
from frontdesk.models import FLAG_UNPARSED, Classification, Contact, Message, RawInbound, utcnow
from frontdesk.queue import OUTBOUND_BUFFER
from frontdesk.store.cases import record_opt_out
from frontdesk.store.db import read_session
from frontdesk.store.claimed_acks import ClaimedAck
from frontdesk.store.recorder import Recorder
from frontdesk.store.tables import RawPayload
from outbound.policy import acknowledgment_blocked
from outbound.public_policy import PUBLIC_SENDERS
from router.chat import asked_handles
from router.threading import asked_keys
from workers.delivery import deliver_many
from workers.escalation import StepJobs, begin_step, enqueue_step_jobs
from workers.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class BatchOutcome:
    """What a routed batch left to do after its commit, and its counts."""

    acks: list[int] = field(default_factory=list)  # acknowledgments still to claim
    claimed_acks: list[ClaimedAck] = field(default_factory=list)  # claimed by the routing transaction
    steps: list[StepJobs] = field(default_factory=list)
    routed: int = 0
    quarantined: int = 0
    ignored: int = 0
    paging: dict[int, str] = field(default_factory=dict)  # case -> the message that starts its paging
    counts: list[tuple[str, dict]] = field(default_factory=list)  # metrics, counted once the batch commits
    latencies: list[tuple[float, str]] = field(default_factory=list)
    statuses: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # payload -> (status, error)

    def add(self, other: "BatchOutcome") -> None:
        """Fold in the outcome of another committed transaction."""
        self.acks += other.acks
        self.claimed_acks += other.claimed_acks
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
    _send_now(rt, outcome)
    return outcome


def _send_now(rt: Runtime, outcome: BatchOutcome) -> None:
    """Send the batch's pages, then its acknowledgments, in this job: queued behind the rest of the intake
    drain they waited up to its time budget. The jobs and buffer entries queued above stay as the safety
    net (a worker killed mid-send); they find these deliveries no longer pending and do nothing. For the
    acknowledgments routing claimed, the net is the sweeper, which sends again what a dead worker left
    'sending' (their senders dedupe)."""
    ids = [delivery_id for jobs in outcome.steps for _, delivery_id in jobs.page_keys] + outcome.acks
    if not ids and not outcome.claimed_acks:
        return
    try:
        deliver_many(rt, ids, outcome.claimed_acks)
    except Exception:  # the queued jobs will send them; routing itself succeeded
        log.warning("sending %d deliveries right after routing failed; their queued jobs will",
                    len(ids), exc_info=True)


def _route_together(rt: Runtime, message_ids: list[str]) -> BatchOutcome:
    outcome = BatchOutcome()
    reads = _read_ahead(rt, message_ids)
    with rt.sessions.begin() as session:
        raws = session.execute(_PENDING_RAWS, {"ids": message_ids}).all()
        recorder = Recorder(session)
        parsed = []
        for raw in raws:
            read = reads.get(raw.id) or _read(_inbound(session.execute(_READABLE_RAWS, {"ids": [raw.id]}).one()))
            message = _settle_read(session, raw, read, outcome)
            if message is not None:
                parsed.append((raw, message, read.classification))
        keys: set[str] = set()
        handles = {(message.channel, message.sender.handle) for _, message, _ in parsed}
        for raw, message, _ in parsed:
            asked = reads[raw.id].asked if raw.id in reads else _asked(rt, message)
            keys.update(asked.keys)
            handles.update(asked.handles)
        recorder.lookup.prefetch(keys, handles)
        # Every message but a public mention opens or joins a case, so its sender will be a contact.
        recorder.add_senders([message.sender for _, message, _ in parsed if not message.public])
        for raw, message, classification in parsed:
            _route_one(rt, session, raw, message, classification, recorder, outcome)
        recorder.flush()
        _write_statuses(session, outcome)
        outcome.claimed_acks = recorder.claimed
        claimed = {ack.delivery_id for ack in recorder.claimed}
        # All of them: a merge in the batch flushed those recorded before it.
        outcome.acks = [delivery_id for delivery_id in recorder.delivery_ids.values() if delivery_id not in claimed]
        for case_id, message_id in outcome.paging.items():
            jobs = begin_step(rt, session, case_id, 0, message_id)
            if jobs is not None:
                outcome.steps.append(jobs)
    return outcome


_RAWS = RawPayload.__table__
# Locked and read without their bodies, which were read ahead; statuses are written in one executemany.
_PENDING_RAWS = (select(_RAWS.c.id, _RAWS.c.channel).where(_RAWS.c.id.in_(bindparam("ids", expanding=True)),
                                                         _RAWS.c.status == "pending")
                 .order_by(_RAWS.c.received_at, _RAWS.c.id).with_for_update(skip_locked=True))
_READABLE_RAWS = select(_RAWS).where(_RAWS.c.id.in_(bindparam("ids", expanding=True)), _RAWS.c.status == "pending")
_SET_STATUS = (update(_RAWS).where(_RAWS.c.id == bindparam("raw"))
               .values(status=bindparam("status"), error=bindparam("error")))


def _write_statuses(session: Session, outcome: BatchOutcome) -> None:
    if outcome.statuses:
        session.connection().execute(_SET_STATUS, [{"raw": raw, "status": status, "error": error}
                                                   for raw, (status, error) in outcome.statuses.items()])


@dataclass(frozen=True)
class _Asked:
    """What routing a message will ask the store: thread keys (any channel) and (channel, handle)s."""

    keys: set[str]
    handles: set[tuple[str, str]]


def _asked(rt: Runtime, message: Message) -> _Asked:
    channel_keys, any_keys = asked_keys(message, rt.settings.router.chat)
    handles = {(message.channel, handle) for handle in asked_handles(message, rt.settings.router.chat)}
    return _Asked({*channel_keys, *any_keys}, handles)


@dataclass(frozen=True)
class _Read:
    """A payload parsed and classified: its message (None when there is none to route) and why it is not a
    clean one (an unsupported event, a malformed payload); what routing it will ask the store."""

    message: Message | None
    error: UnsupportedEventError | MalformedPayloadError | None
    classification: Classification | None
    asked: _Asked | None = None


def _read_ahead(rt: Runtime, message_ids: list[str]) -> dict[str, _Read]:
    """Parse and classify the batch's pending payloads, and work out the keys their routing will ask for,
    before its write transaction begins: pure work, and on SQLite the transaction holds the only write
    lock, which another worker is waiting for."""
    with read_session(rt.sessions) as session:  # plain rows: nothing here is changed
        inbounds = [_inbound(raw) for raw in session.execute(_READABLE_RAWS, {"ids": message_ids})]
    reads = [_read(inbound) for inbound in inbounds]
    judged = rt.router.classify_many([read.message for read in reads])
    return {inbound.id: replace(read, classification=classification,
                                asked=_asked(rt, read.message) if read.message is not None else None)
            for inbound, read, classification in zip(inbounds, reads, judged)}


def _inbound(raw) -> RawInbound:
    """The channel adapter's view of a stored payload (an ORM row or a plain one)."""
    return RawInbound(id=raw.id, channel=raw.channel, external_id=raw.idempotency_key.split(":", 1)[1],
                      received_at=raw.received_at, body=raw.body, content_type=raw.content_type, meta=raw.meta)


def _read(inbound: RawInbound) -> _Read:
    """Parse a payload (the classification is added by the caller, for many at once)."""
    adapter = CHANNELS.get(inbound.channel)
    try:
        if adapter is None:
            raise MalformedPayloadError(f"no channel {inbound.channel!r} is registered")
        message, error = adapter.parse(inbound), None
    except UnsupportedEventError as unsupported:
        return _Read(None, unsupported, None)
    except MalformedPayloadError as malformed:
        if not getattr(adapter, "quarantine_opens_case", False):
            return _Read(None, malformed, None)
        message, error = unparsed_message(inbound, str(malformed)), malformed
    return _Read(message, error, None)


def _settle_read(session: Session, raw, read: _Read, outcome: BatchOutcome) -> Message | None:
    """Record what reading the payload (id, channel) found; returns the message to route, if there is one."""
    if isinstance(read.error, UnsupportedEventError):
        outcome.statuses[raw.id] = ("ignored", str(read.error)[:1000])
        outcome.ignored += 1
        outcome.count("messages_in", channel=raw.channel, result="ignored")
        return None
    if read.error is not None:
        _quarantine(raw, str(read.error)[:1000], outcome)
    if read.message is None:
        return None
    attach_report = getattr(CHANNELS.get(raw.channel), "attach_report", None)
    if attach_report is not None and attach_report(session, read.message):
        outcome.statuses[raw.id] = ("routed", None)  # a delivery report: recorded on the delivery it reports on
        outcome.count("messages_in", channel=raw.channel, result="delivery_report")
        return None
    return read.message


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
        for raw in session.execute(_PENDING_RAWS, {"ids": [message_id]}):
            _quarantine(raw, why, outcome)
        _write_statuses(session, outcome)
    return outcome


def _route_one(rt: Runtime, session: Session, raw, message: Message,
               classification: Classification | None, recorder: Recorder, outcome: BatchOutcome) -> None:
    decision = rt.router.route(message, recorder.lookup, classification)
    outcome.statuses.setdefault(raw.id, ("routed", None))  # a quarantined payload's stand-in stays quarantined
    outcome.routed += 1
    outcome.count("routed", channel=message.channel, urgency=decision.urgency)
    if not opens_case(message, decision):
        index_public(session, message, decision, None, rt.settings)
        return None
    sender = rt.senders.get(message.channel)
    target = sender.reply_target(message) if sender is not None else None
    # Sent right after the commit without being read back, where a crash's resend is harmless (see Recorder.record)
    claimable = (sender is not None and sender.resend_safe and message.channel not in PUBLIC_SENDERS
                 and acknowledgment_blocked(message.flags, False) is None)
    recorded = recorder.record(message, decision, ack_target=target, ack_window=rt.settings.acknowledgments.window,
                               ack_claimable=claimable)
    if decision.classification.opt_out or message.public:
        recorder.write_cases()  # the rows written below refer to the case
    if decision.classification.opt_out:
        record_opt_out(session, message.channel, message.sender.handle, "router", recorded.case_id)
    index_public(session, message, decision, recorded.case_id, rt.settings)
    if recorded.start_paging:
        outcome.paging.setdefault(recorded.case_id, message.id)
    outcome.latencies.append(((utcnow() - message.received_at).total_seconds(), message.channel))


def _quarantine(raw, why: str, outcome: BatchOutcome) -> None:
    outcome.statuses[raw.id] = ("quarantined", why)
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
