"""Carrying out planned deliveries: check, render, claim, send, record — in batches.

A delivery row moves pending -> sending -> sent | failed | skipped. It is
claimed ('sending', committed) before the provider is called, so a re-run
never sends it again; a row left 'sending' by a crashed worker is re-sent by
the sweeper only when its sender is `resend_safe`, otherwise marked
'unknown' with a case event.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.models import DeliveryResult, Rendered, case_reference, utcnow
from frontdesk.store.cases import add_event, opted_out_among
from frontdesk.store.tables import Case, Contact, ContactIdentity, Delivery, MessageRow
from outbound.policy import acknowledgment_blocked
from outbound.public_policy import public_reply_refusal
from workers.errors import PageUpdateError
from workers.runtime import Runtime

log = logging.getLogger(__name__)
SEND_THREADS = 8
CHUNK = 32  # deliveries claimed, sent and recorded together: at most this many left 'sending' by a crash


@dataclass(frozen=True)
class Claimed:
    """A delivery claimed for sending, with what to send."""

    delivery_id: int
    sender: str
    target: str
    kind: str
    rendered: Rendered
    received_at: object


def deliver_many(rt: Runtime, delivery_ids: list[int]) -> list[DeliveryResult]:
    """Send every still-pending delivery among `delivery_ids`; returns the results of those sent.

    Works in chunks of CHUNK: claim the chunk (one transaction), send it on
    SEND_THREADS threads, record its results (one transaction). A worker
    killed mid-chunk leaves at most one chunk 'sending' whose outcome the
    sweeper has to settle.
    """
    results: list[DeliveryResult] = []
    with ThreadPoolExecutor(max_workers=SEND_THREADS) as pool:
        for start in range(0, len(delivery_ids), CHUNK):
            chunk = delivery_ids[start:start + CHUNK]
            with rt.sessions.begin() as session:
                pending = _pending(session, chunk)
                claimed = [c for d in pending.deliveries if (c := _check_and_claim(rt, session, pending, d))]
            if not claimed:
                continue
            sent = list(pool.map(lambda item: _send(rt, item), claimed))
            with rt.sessions.begin() as session:
                deliveries = {d.id: d for d in session.scalars(
                    select(Delivery).where(Delivery.id.in_([item.delivery_id for item in claimed])))}
                for item, result in zip(claimed, sent):
                    _record(rt, session, deliveries[item.delivery_id], item, result)
            results.extend(sent)
    rt.metrics.flush()
    return results


@dataclass
class _Chunk:
    """Still-pending deliveries with what checking them needs, read in a few statements for all of them."""

    deliveries: list[Delivery]
    loaded: list  # their cases, messages and contacts: held here, session.get finds them in the session
    handles: dict[tuple[int, str], str]  # (contact, channel) -> handle
    opted_out: set[tuple[str, str]]  # (channel, handle) pairs that asked to hear nothing further


def _pending(session: Session, delivery_ids: list[int]) -> _Chunk:
    deliveries = list(session.scalars(
        select(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status == "pending")
        .order_by(Delivery.id).with_for_update(skip_locked=True)
    ))
    loaded: list = []
    for table, ids in ((Case, {d.case_id for d in deliveries}),
                       (MessageRow, {d.message_id for d in deliveries if d.message_id})):
        if ids:
            loaded += session.scalars(select(table).where(table.id.in_(ids))).all()
    contact_ids = {row.contact_id for row in loaded if isinstance(row, Case | MessageRow)}
    if contact_ids:
        loaded += session.scalars(select(Contact).where(Contact.id.in_(contact_ids))).all()
    handles = {(contact, channel): handle for contact, channel, handle in session.execute(
        select(ContactIdentity.contact_id, ContactIdentity.channel, ContactIdentity.handle)
        .where(ContactIdentity.contact_id.in_(contact_ids)))} if contact_ids else {}
    opted_out = opted_out_among(session, {(channel, handle) for (_, channel), handle in handles.items()})
    return _Chunk(deliveries, loaded, handles, opted_out)


def _check_and_claim(rt: Runtime, session: Session, chunk: _Chunk, delivery: Delivery) -> Claimed | None:
    case = session.get(Case, delivery.case_id)
    message = session.get(MessageRow, delivery.message_id) if delivery.message_id else None
    blocked = (_blocked(chunk, delivery, case, message)
               or public_reply_refusal(rt.settings, session, delivery, case, message))
    if blocked:
        _finish(session, delivery, "skipped", error=blocked)
        add_event(session, case.id, "outbound", f"{delivery.kind}_skipped", delivery_id=delivery.id, reason=blocked)
        rt.metrics.count("deliveries", sender=delivery.sender, kind=delivery.kind, result="skipped")
        return None
    if delivery.sender not in rt.senders:
        _finish(session, delivery, "failed", error=f"no sender {delivery.sender!r} is registered")
        return None
    rendered = render(rt, session, delivery, case, message)
    delivery.status = "sending"
    delivery.attempts += 1
    delivery.updated_at = utcnow()
    return Claimed(delivery.id, delivery.sender, delivery.target, delivery.kind, rendered,
                   message.received_at if message else None)


def _blocked(chunk: _Chunk, delivery: Delivery, case: Case, message: MessageRow | None) -> str | None:
    if delivery.kind == "page":
        if case.acknowledged_at is not None or case.status == "resolved":
            return f"case already {case.status}"
        return None
    if message is None:
        return None
    handle = chunk.handles.get((message.contact_id, message.channel), "")
    return acknowledgment_blocked(message.flags, (message.channel, handle) in chunk.opted_out)


def render(rt: Runtime, session: Session, delivery: Delivery, case: Case, message: MessageRow | None) -> Rendered:
    """Render the delivery's template with the case's facts."""
    settings = rt.settings
    contact = session.get(Contact, case.contact_id)
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
    channel = message.channel if (delivery.kind == "ack" and message) else delivery.sender
    rendered = rt.templates.render(delivery.kind, channel, case.urgency, context)
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
        return DeliveryResult(target=item.target, status="failed", retryable=True, error=f"sender error: {type(error).__name__}")


def _record(rt: Runtime, session: Session, delivery: Delivery, item: Claimed, result: DeliveryResult) -> None:
    retry = (not result.ok and result.retryable and delivery.attempts < rt.settings.workers.max_delivery_attempts)
    status = result.status if not retry else "pending"
    _finish(session, delivery, status, error=result.error, provider_id=result.provider_id)
    kind = {"sent": "delivered", "skipped": "delivery_skipped"}.get(result.status, "delivery_failed")
    add_event(session, delivery.case_id, f"outbound:{item.sender}", kind, delivery_id=delivery.id,
              delivery_kind=delivery.kind, recipient=delivery.recipient, target=result.target,
              provider_id=result.provider_id, error=result.error, attempt=delivery.attempts, will_retry=retry)
    rt.metrics.count("deliveries", sender=item.sender, kind=item.kind, result=result.status)
    if item.kind == "page":
        rt.metrics.count("pages", sender=item.sender, result=result.status)
        if result.ok and item.received_at is not None:
            rt.metrics.observe("page_latency_seconds", (utcnow() - item.received_at).total_seconds())
    if retry:
        backoff = rt.settings.workers.retry_backoff * (2 ** (delivery.attempts - 1))
        schedule_retry(rt, delivery, backoff)


def schedule_retry(rt: Runtime, delivery: Delivery, backoff: timedelta) -> None:
    """Queue another attempt after `backoff`, keyed by delivery and attempt."""
    from frontdesk.queue import OUTBOUND, PAGES, enqueue_keyed

    queue = PAGES if delivery.kind == "page" else OUTBOUND
    enqueue_keyed(rt.redis, queue, "workers.jobs.send_deliveries", f"retry:{delivery.id}:{delivery.attempts}",
                  [delivery.id], delay=backoff)


def _finish(session: Session, delivery: Delivery, status: str, *, error=None, provider_id=None) -> None:
    delivery.status = status
    delivery.error = error
    delivery.provider_id = provider_id or delivery.provider_id
    delivery.updated_at = utcnow()


def refresh_pages(rt: Runtime, case_id: int) -> int:
    """Rewrite every page already sent for the case (where the sender can) to show where it stands now."""
    from frontdesk.sender import UpdatingSender

    with rt.sessions() as session:
        case = session.get(Case, case_id)
        pages = list(session.scalars(select(Delivery).where(
            Delivery.case_id == case_id, Delivery.kind == "page", Delivery.status == "sent",
            Delivery.provider_id.is_not(None))))
        rendered = {page.id: render(rt, session, page, case, None).model_copy(update={"kind": "status"})
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
