"""Carrying out planned deliveries: check, render, claim, send, record — in batches.

A delivery row moves pending -> sending -> sent | failed | skipped. It is
claimed ('sending', committed) before the provider is called, so a re-run
never sends it again; a row left 'sending' by a crashed worker is re-sent by
the sweeper only when its sender is `resend_safe`, otherwise marked
'unknown' with a case event. The acknowledgments routing can claim itself
(`ClaimedAck`: a resend-safe sender, a case the batch opened) are inserted
'sending' and skip the claim here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import partial
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from frontdesk.audit.chain import event_row, insert_linked
from frontdesk.models import DeliveryResult, Rendered, case_reference, utcnow
from frontdesk.store.cases import add_event, opted_out_among
from frontdesk.store.db import read_session
from frontdesk.store.claimed_acks import ClaimedAck
from frontdesk.store.tables import Case, Contact, ContactIdentity, Delivery, MessageRow
from outbound.policy import acknowledgment_blocked
from outbound.public_policy import PUBLIC_SENDERS, public_reply_refusal
from workers.errors import PageUpdateError
from workers.runtime import Runtime

log = logging.getLogger(__name__)
CHUNK = 32  # deliveries claimed, sent and recorded together: at most this many left 'sending' by a crash


@dataclass(frozen=True)
class Claimed:
    """A delivery claimed for sending, with what to send."""

    delivery_id: int
    case_id: int
    sender: str
    target: str
    kind: str
    recipient: str | None
    attempts: int  # counting this one
    rendered: Rendered
    received_at: object


def deliver_many(rt: Runtime, delivery_ids: list[int], claimed_acks: list[ClaimedAck] = ()) -> list[DeliveryResult]:
    """Send every still-pending delivery among `delivery_ids`, then the acknowledgments routing already
    claimed; returns the results of those sent.

    Works in chunks of CHUNK: claim the chunk, send it on the runtime's send
    threads (SEND_THREADS), record its results in the transaction that claims the next
    chunk. A worker killed mid-chunk leaves at most one chunk 'sending' whose
    outcome the sweeper has to settle. The acknowledgments routing claimed
    are sent in chunks too, and recorded in one transaction at the end with
    the last chunk before them: left 'sending' by a crash, they are the
    sweeper's to send again, and their senders dedupe. On SQLite every write
    transaction waits for the other worker's routing, so a batch's deliveries
    take as few as this allows.
    """
    sent = _Sent()
    # Left 'sending' past `stuck_after`, a claimed acknowledgment is the sweeper's to send again. Begin no
    # chunk of them after a quarter of it, so that one begun then ends first even if its receiver times out
    # (4 rounds of SEND_THREADS), and a slow receiver never has an acknowledgment sent by both.
    deadline = time.monotonic() + rt.settings.workers.stuck_after.total_seconds() / 4
    pool = rt.send_pool
    for start in range(0, len(delivery_ids), CHUNK):
        with rt.sessions.begin() as session:
            sent.write(rt, session)
            claimed = _claim(rt, session, _pending(session, delivery_ids[start:start + CHUNK]))
        sent.committed(rt)
        sent.add(claimed, pool.map(partial(_send, rt), claimed))
    ready = [_claimed_acknowledgment(rt, ack) for ack in claimed_acks]
    for start in range(0, len(ready), CHUNK):
        if time.monotonic() > deadline:
            log.warning("%d claimed acknowledgments left to the sweeper: sending took too long",
                        len(ready) - start)
            break
        chunk = ready[start:start + CHUNK]
        sent.add(chunk, pool.map(partial(_send, rt), chunk))
    if sent.claimed:
        with rt.sessions.begin() as session:
            sent.write(rt, session)
        sent.committed(rt)
    rt.metrics.flush()
    return sent.results


@dataclass
class _Sent:
    """Deliveries sent and not yet recorded; the results of those recorded, and their retries to queue."""

    claimed: list[Claimed] = field(default_factory=list)
    answers: list[DeliveryResult] = field(default_factory=list)
    results: list[DeliveryResult] = field(default_factory=list)
    retries: list[tuple[Claimed, timedelta]] = field(default_factory=list)

    def add(self, claimed: list[Claimed], answers) -> None:
        self.claimed += claimed
        self.answers += answers

    def write(self, rt: Runtime, session: Session) -> None:
        """Record, in the caller's transaction, what was sent since the last write."""
        if self.claimed:
            self.retries += _record(rt, session.connection(), self.claimed, self.answers)
            self.results += self.answers
            self.claimed, self.answers = [], []

    def committed(self, rt: Runtime) -> None:
        """The transaction that wrote them committed: queue the retries they asked for."""
        for item, backoff in self.retries:
            schedule_retry(rt, item, backoff)
        self.retries = []


def _claimed_acknowledgment(rt: Runtime, ack: ClaimedAck) -> Claimed:
    """What to send for an acknowledgment claimed by the routing transaction, rendered from what routing knew
    (the checks `_check_and_claim` makes were made there; see `Recorder.record`)."""
    delivery = SimpleNamespace(kind="ack", key=ack.key, detail={}, recipient=ack.recipient)
    rendered = render(rt, None, delivery, ack.case, ack.message, SimpleNamespace(name=ack.contact_name))
    return Claimed(ack.delivery_id, ack.case.id, ack.sender, ack.target, "ack", ack.recipient, 1, rendered,
                   ack.message.received_at)


# The claim reads plain rows (Core), not ORM objects: loading four objects per delivery cost more than the
# rest of the claim together.
_DELIVERIES, _CASES, _MESSAGES, _CONTACTS = (Delivery.__table__, Case.__table__, MessageRow.__table__,
                                             Contact.__table__)
_IDS = bindparam("ids", expanding=True)
_CLAIMABLE = (select(_DELIVERIES).where(_DELIVERIES.c.id.in_(_IDS), _DELIVERIES.c.status == "pending")
              .order_by(_DELIVERIES.c.id).with_for_update(skip_locked=True))
# A message row is read without what routing stored about it (reasons, scores…): decoding those JSON
# columns cost more than checking and rendering the acknowledgment.
_MESSAGE_FIELDS = ("id", "contact_id", "channel", "external_id", "text", "flags", "public", "reply_to", "received_at",
                   "language")
_ROWS = {table: select(*columns).where(table.c.id.in_(_IDS)) for table, columns in (
    (_CASES, _CASES.c), (_MESSAGES, [_MESSAGES.c[name] for name in _MESSAGE_FIELDS]), (_CONTACTS, _CONTACTS.c))}
_HANDLES = select(ContactIdentity.contact_id, ContactIdentity.channel, ContactIdentity.handle).where(
    ContactIdentity.contact_id.in_(_IDS))
_CLAIM = (update(_DELIVERIES).where(_DELIVERIES.c.id == bindparam("delivery"))
          .values(status="sending", attempts=_DELIVERIES.c.attempts + 1, updated_at=bindparam("now")))
# A delivery's outcome; a provider id already known is kept when the new attempt has none.
_FINISH = (update(_DELIVERIES).where(_DELIVERIES.c.id == bindparam("delivery"))
           .values(status=bindparam("status"), error=bindparam("error"), updated_at=bindparam("now"),
                   provider_id=func.coalesce(bindparam("provider_id"), _DELIVERIES.c.provider_id)))


@dataclass
class _Chunk:
    """Still-pending deliveries with what checking them needs, read in a few statements for all of them."""

    deliveries: list
    cases: dict[int, object]
    messages: dict[str, object]
    contacts: dict[int, object]
    handles: dict[tuple[int, str], str]  # (contact, channel) -> handle
    opted_out: set[tuple[str, str]]  # (channel, handle) pairs that asked to hear nothing further


def _pending(session: Session, delivery_ids: list[int]) -> _Chunk:
    execute = session.connection().execute

    def rows(table, ids) -> dict:
        return {row.id: row for row in execute(_ROWS[table], {"ids": list(ids)})} if ids else {}

    deliveries = execute(_CLAIMABLE, {"ids": delivery_ids}).all()
    cases = rows(_CASES, {d.case_id for d in deliveries})
    messages = rows(_MESSAGES, {d.message_id for d in deliveries if d.message_id})
    contact_ids = {row.contact_id for row in (*cases.values(), *messages.values()) if row.contact_id}
    contacts = rows(_CONTACTS, contact_ids)
    handles = {(contact, channel): handle for contact, channel, handle in
               execute(_HANDLES, {"ids": list(contact_ids)})} if contact_ids else {}
    opted_out = opted_out_among(session, {(channel, handle) for (_, channel), handle in handles.items()})
    return _Chunk(deliveries, cases, messages, contacts, handles, opted_out)


def _claim(rt: Runtime, session: Session, chunk: _Chunk) -> list[Claimed]:
    """Check the chunk's deliveries in order and mark those to send 'sending', in as few statements as the
    checks allow: a public reply's checks count the live replies, so earlier claims are written before it."""
    claimed: list[Claimed] = []
    unwritten: list[Claimed] = []
    for delivery in chunk.deliveries:
        if unwritten and delivery.sender in PUBLIC_SENDERS:
            _mark_sending(session, unwritten)
            unwritten = []
        item = _check_and_claim(rt, session, chunk, delivery)
        if item is not None:
            claimed.append(item)
            unwritten.append(item)
    _mark_sending(session, unwritten)
    return claimed


def _mark_sending(session: Session, claimed: list[Claimed]) -> None:
    if claimed:
        now = utcnow()
        session.connection().execute(_CLAIM, [{"delivery": item.delivery_id, "now": now} for item in claimed])


def _check_and_claim(rt: Runtime, session: Session, chunk: _Chunk, delivery) -> Claimed | None:
    """Check one delivery of the chunk; returns what to send (`_claim` marks it 'sending'), or None."""
    case = chunk.cases[delivery.case_id]
    message = chunk.messages.get(delivery.message_id) if delivery.message_id else None
    blocked = (_blocked(chunk, delivery, case, message)
               or public_reply_refusal(rt.settings, session, delivery, case, message))
    if blocked:
        _settle(session, delivery.id, "skipped", blocked)
        add_event(session, case.id, "outbound", f"{delivery.kind}_skipped", delivery_id=delivery.id, reason=blocked)
        rt.metrics.count("deliveries", sender=delivery.sender, kind=delivery.kind, result="skipped")
        return None
    if delivery.sender not in rt.senders:
        _settle(session, delivery.id, "failed", f"no sender {delivery.sender!r} is registered")
        return None
    rendered = render(rt, session, delivery, case, message, chunk.contacts.get(case.contact_id))
    return Claimed(delivery.id, delivery.case_id, delivery.sender, delivery.target, delivery.kind, delivery.recipient,
                   delivery.attempts + 1, rendered, message.received_at if message else None)


def _settle(session: Session, delivery_id: int, status: str, error: str) -> None:
    session.connection().execute(_FINISH, {"delivery": delivery_id, "status": status, "error": error,
                                           "provider_id": None, "now": utcnow()})


def _blocked(chunk: _Chunk, delivery, case, message) -> str | None:
    if delivery.kind == "page":
        if case.acknowledged_at is not None or case.status == "resolved":
            return f"case already {case.status}"
        return None
    if message is None:
        return None
    handle = chunk.handles.get((message.contact_id, message.channel), "")
    return acknowledgment_blocked(message.flags, (message.channel, handle) in chunk.opted_out)


def render(rt: Runtime, session: Session | None, delivery, case, message, contact) -> Rendered:
    """Render the delivery's template with the case's facts (ORM objects or plain rows of the same tables);
    the session is needed only without a message, to find the case's latest."""
    settings = rt.settings
    latest = message or session.scalars(select(MessageRow).where(MessageRow.case_id == case.id)
                                        .order_by(MessageRow.received_at.desc()).limit(1)).first()
    base_url = settings.organisation.dashboard_url.rstrip("/")
    context = {
        "organisation": settings.organisation.name, "case_ref": case_reference(case.id), "case_id": case.id,
        "urgency": case.urgency, "categories": list(case.categories), "channel": case.channel,
        "subject": case.subject, "sender_name": contact.name if contact else None,
        "case_url": f"{base_url}/cases/{case.id}", "ack_url": f"{base_url}/api/cases/{case.id}/ack",
        "reasons": [reason.get("detail", "") for reason in case.reasons if reason.get("source") in ("rule", "model")]
                   or ["default policy"],
        "excerpt": (latest.text[:280] if latest else ""), **delivery.detail,
    }
    acknowledging = delivery.kind == "ack" and message is not None
    channel = message.channel if acknowledging else delivery.sender
    rendered = rt.templates.render(delivery.kind, channel, case.urgency, context,
                                   language=message.language if acknowledging else None)
    meta = {"case_id": str(case.id), "case_ref": context["case_ref"], "urgency": case.urgency,
            "categories": ",".join(case.categories), "reasons": " | ".join(context["reasons"]),
            "case_url": context["case_url"], "kind": delivery.kind}
    if message:
        meta.update(message_id=message.id, external_id=message.external_id)
    if delivery.recipient and delivery.kind == "page":
        meta["person"] = delivery.recipient
    return rendered.model_copy(update={
        "idempotency_key": delivery.key, "meta": meta,
        "reply_to": dict(message.reply_to) if (message and delivery.kind == "ack") else {},
    })


def _send(rt: Runtime, item: Claimed) -> DeliveryResult:
    sender = rt.senders[item.sender]
    try:
        return sender.send(item.target, item.rendered)
    except Exception as error:  # a sender bug must not lose the record of the attempt
        log.exception("sender %s raised", item.sender)
        return DeliveryResult(target=item.target, status="failed", retryable=True,
                              error=f"sender error: {type(error).__name__}")


def _record(rt: Runtime, connection, claimed: list[Claimed], results: list[DeliveryResult]
            ) -> list[tuple[Claimed, timedelta]]:
    """Write the results of a sent chunk (one executemany) and their case events (linked in memory: through the
    ORM, SQLite inserts events one statement each); returns the deliveries to try again, with when."""
    now, finished, events, retries = utcnow(), [], [], []
    for item, result in zip(claimed, results):
        retry = not result.ok and result.retryable and item.attempts < rt.settings.workers.max_delivery_attempts
        finished.append({"delivery": item.delivery_id, "status": "pending" if retry else result.status,
                         "error": result.error, "provider_id": result.provider_id or None, "now": now})
        kind = {"sent": "delivered", "skipped": "delivery_skipped"}.get(result.status, "delivery_failed")
        events.append(event_row(item.case_id, f"outbound:{item.sender}", kind, {
            "delivery_id": item.delivery_id, "delivery_kind": item.kind, "recipient": item.recipient,
            "target": result.target, "provider_id": result.provider_id, "error": result.error,
            "attempt": item.attempts, "will_retry": retry}))
        rt.metrics.count("deliveries", sender=item.sender, kind=item.kind, result=result.status)
        if item.kind == "page":
            rt.metrics.count("pages", sender=item.sender, result=result.status)
            if result.ok and item.received_at is not None:
                rt.metrics.observe("page_latency_seconds", (now - item.received_at).total_seconds())
        if retry:
            retries.append((item, rt.settings.workers.retry_backoff * (2 ** (item.attempts - 1))))
    connection.execute(_FINISH, finished)
    insert_linked(connection, events)
    return retries


def schedule_retry(rt: Runtime, item: Claimed, backoff: timedelta) -> None:
    """Queue another attempt after `backoff`, keyed by delivery and attempt."""
    from frontdesk.queue import OUTBOUND, PAGES, enqueue_keyed

    queue = PAGES if item.kind == "page" else OUTBOUND
    enqueue_keyed(rt.redis, queue, "workers.jobs.send_deliveries", f"retry:{item.delivery_id}:{item.attempts}",
                  [item.delivery_id], delay=backoff)


def refresh_pages(rt: Runtime, case_id: int) -> int:
    """Rewrite every page already sent for the case (where the sender can) to show where it stands now."""
    from frontdesk.sender import UpdatingSender

    with read_session(rt.sessions) as session:
        case = session.get(Case, case_id)
        pages = list(session.scalars(select(Delivery).where(
            Delivery.case_id == case_id, Delivery.kind == "page", Delivery.status == "sent",
            Delivery.provider_id.is_not(None))))
        contact = session.get(Contact, case.contact_id)
        rendered = {page.id: render(rt, session, page, case, None, contact).model_copy(update={"kind": "status"})
                    for page in pages}
        state = {"status": case.status, "acknowledged_by": case.acknowledged_by or "",
                 "acknowledged_at": case.acknowledged_at.isoformat() if case.acknowledged_at else ""}
    updated, failed = 0, []
    for page in pages:
        sender = rt.senders.get(page.sender)
        if not isinstance(sender, UpdatingSender):
            continue
        item = rendered[page.id]
        item = item.model_copy(update={"meta": {**item.meta, **state}})
        result = sender.update(page.target, page.provider_id, item)
        updated += result.ok
        if not result.ok:
            failed.append((page, result))
    if failed:
        _record_failed_updates(rt, case_id, failed)
    return updated


def _record_failed_updates(rt: Runtime, case_id: int, failed: list) -> None:
    """A page that could not be rewritten is a case event; a retryable failure raises so RQ retries the job."""
    with rt.sessions.begin() as session:
        for page, result in failed:
            add_event(session, case_id, f"outbound:{page.sender}", "page_update_failed", delivery_id=page.id,
                      error=result.error, retryable=result.retryable)
    if any(result.retryable for _, result in failed):
        raise PageUpdateError(f"{len(failed)} page(s) of case {case_id} not updated; will retry")
