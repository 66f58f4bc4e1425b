"""Operations on cases: acknowledge, resolve, reopen, escalate, merge, split, opt out (recording routed
messages is frontdesk/store/recorder.py).

Every state change writes a case event in the same transaction. Competing
writers (an acknowledgment and a due escalation step, two clicks) are settled
by conditional UPDATEs: only one of them matches the row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from frontdesk.audit.chain import append as append_event
from frontdesk.models import URGENCY_RANK, Decision, utcnow
from frontdesk.privacy.crypto import hashed_address
from frontdesk.store.tables import Case, CaseEvent, Delivery, MessageRow, OptOut, ThreadKey


def add_event(session: Session, case_id: int, actor: str, kind: str, **data) -> CaseEvent:
    """Append one audit event to the case's hash chain (frontdesk.audit.chain), in the caller's transaction."""
    return append_event(session, case_id, actor, kind, data)


def merge_proven_cases(session: Session, target_id: int, decision: Decision) -> None:
    """Merge into case `target_id` the cases the router found to be its thread (a parent that arrived after
    its reply).

    """
    for case_id in decision.thread.merge_case_ids:
        source = session.get(Case, case_id)
        while source is not None and source.merged_into is not None:
            source = session.get(Case, source.merged_into)
        if source is None or source.id == target_id:
            continue
        merge_cases(session, source.id, target_id, "router", decision.thread.evidence, via="router")


def acknowledge_case(session: Session, case_id: int, actor: str, via: str = "api") -> bool:
    """Mark the case acknowledged by `actor`; False when it already was (the first one wins)."""
    now = utcnow()
    result = session.execute(
        update(Case).where(Case.id == case_id, Case.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by=actor, status="acknowledged", updated_at=now,
                escalation_due_at=None)
    )
    if result.rowcount:
        add_event(session, case_id, actor, "acknowledged", via=via)
    return bool(result.rowcount)


def resolve_case(session: Session, case_id: int, actor: str, via: str = "api") -> bool:
    """Resolve the case (stops any escalation); False when it was already resolved."""
    now = utcnow()
    result = session.execute(
        update(Case).where(Case.id == case_id, Case.status != "resolved")
        .values(status="resolved", resolved_at=now, updated_at=now, escalation_due_at=None,
                acknowledged_at=func.coalesce(Case.acknowledged_at, now))
    )
    if result.rowcount:
        add_event(session, case_id, actor, "resolved", via=via)
    return bool(result.rowcount)


def claim_escalation_step(session: Session, case_id: int, step: int, due_at: datetime | None) -> bool:
    """Move the case to escalation step `step` if it is still unacknowledged and at the step before.

    This conditional UPDATE is what keeps a due step and an acknowledgment
    from both winning.
    """
    result = session.connection().execute(_CLAIM_STEP, {"case": case_id, "before": step - 1, "step": step,
                                                        "due_at": due_at, "now": utcnow()})
    return bool(result.rowcount)


_CASES = Case.__table__
# Core and built once: it runs under the write lock for every case a routing batch starts paging, and the
# ORM's statement building and session synchronisation cost ten times what SQLite takes to run it.
_CLAIM_STEP = (update(_CASES).where(_CASES.c.id == bindparam("case"), _CASES.c.acknowledged_at.is_(None),
                                    _CASES.c.status != "resolved", _CASES.c.escalation_step == bindparam("before"))
               .values(escalation_step=bindparam("step"), escalation_due_at=bindparam("due_at"),
                       updated_at=bindparam("now")))


def record_opt_out(session: Session, channel: str, address: str, source: str, case_id: int | None) -> bool:
    """Record an opt-out (idempotent); True when it is new. Also an event on the case, if any."""
    existing = session.scalars(select(OptOut).where(OptOut.channel == channel, OptOut.address == address)).first()
    if existing is not None:
        return False
    session.add(OptOut(channel=channel, address=address, source=source, case_id=case_id, at=utcnow()))
    if case_id is not None:
        add_event(session, case_id, source, "opted_out", channel=channel)
    return True


def is_opted_out(session: Session, channel: str, address: str) -> bool:
    """Whether this channel address asked to hear nothing further."""
    return bool(opted_out_among(session, {(channel, address)}))


def opted_out_among(session: Session, addresses: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Those of these (channel, address) pairs that asked to hear nothing further, in one statement."""
    if not addresses:
        return set()
    # An erased person's opt-out is kept hashed.
    stored = {(channel, form): (channel, address) for channel, address in addresses
              for form in (address, hashed_address(address))}
    rows = session.execute(select(OptOut.channel, OptOut.address)
                           .where(OptOut.address.in_({form for _, form in stored}))).all()
    return {stored[row] for row in map(tuple, rows) if row in stored}


def request_escalation(session: Session, case_id: int, actor: str, via: str = "api") -> int | None:
    """Ask for the case's next escalation step now; the step to run, or None when the case is gone,
    acknowledged or resolved.

    Only records the request (an audit event); the caller queues `workers.jobs.escalate(case_id, step)`,
    whose conditional UPDATE (claim_escalation_step) lets each step run once however often it is asked for.
    """
    case = session.get(Case, case_id)
    if case is None or case.acknowledged_at is not None or case.status == "resolved":
        return None
    step = case.escalation_step + 1
    add_event(session, case_id, actor, "escalation_requested", via=via, step=step)
    return step


def reopen_case(session: Session, case_id: int, actor: str, via: str = "dashboard") -> bool:
    """Reopen a resolved case; False when it was not resolved."""
    result = session.execute(update(Case).where(Case.id == case_id, Case.status == "resolved", Case.merged_into.is_(None))
                             .values(status="open", resolved_at=None, updated_at=utcnow()))
    if result.rowcount:
        add_event(session, case_id, actor, "reopened", via=via)
    return bool(result.rowcount)


def change_urgency(session: Session, case_id: int, urgency: str, actor: str, reason: str, via: str = "dashboard") -> bool:
    """Set the case's urgency by hand, with the operator's reason; False when it already had that urgency."""
    case = session.scalars(select(Case).where(Case.id == case_id).with_for_update()).one()
    if case.urgency == urgency:
        return False
    add_event(session, case_id, actor, "urgency_changed", old=case.urgency, new=urgency, reason=reason, via=via)
    case.urgency = urgency
    case.reasons = [*case.reasons, {"source": "operator", "detail": reason, "by": actor}]
    case.updated_at = utcnow()
    return True


def add_note(session: Session, case_id: int, actor: str, text: str, via: str = "dashboard") -> CaseEvent:
    """An operator's note on the case, kept in its audit trail."""
    return add_event(session, case_id, actor, "note", text=text, via=via)


def merge_cases(session: Session, source_id: int, target_id: int, actor: str, reason: str, via: str = "dashboard") -> bool:
    """Merge case `source_id` into `target_id`: its messages, thread keys and acknowledgments move, it is
    resolved as merged.

    False when either case is itself merged, they are the same, or one is missing.
    """
    cases = {case.id: case for case in session.scalars(
        select(Case).where(Case.id.in_((source_id, target_id))).with_for_update())}
    source, target = cases.get(source_id), cases.get(target_id)
    if source is None or target is None or source_id == target_id or source.merged_into or target.merged_into:
        return False
    moved = session.execute(update(MessageRow).where(MessageRow.case_id == source_id).values(case_id=target_id)).rowcount
    # Acknowledgments and replies move with the messages, so the once-per-case acknowledgment check sees them
    # and nobody is acknowledged twice; pages stay with the case that was paged.
    session.execute(update(Delivery).where(Delivery.case_id == source_id, Delivery.kind.in_(("ack", "reply")))
                    .values(case_id=target_id))
    session.execute(update(ThreadKey).where(ThreadKey.case_id == source_id).values(case_id=target_id))
    now = utcnow()
    target.message_count += moved
    target.last_message_at = max(target.last_message_at, source.last_message_at)
    target.categories = list(target.categories) + [c for c in source.categories if c not in target.categories]
    if URGENCY_RANK[source.urgency] > URGENCY_RANK[target.urgency]:
        target.urgency = source.urgency
    target.updated_at = now
    source.merged_into, source.status, source.message_count = target_id, "resolved", 0
    source.resolved_at = source.resolved_at or now
    source.escalation_due_at, source.updated_at = None, now
    add_event(session, source_id, actor, "merged_into", case=target_id, reason=reason, messages=moved, via=via)
    add_event(session, target_id, actor, "merged", case=source_id, reason=reason, messages=moved, via=via)
    return True


def split_case(session: Session, case_id: int, message_ids: list[str], actor: str, reason: str,
               via: str = "dashboard") -> int | None:
    """Move some messages of a case to a new case; the new case's id, or None when the split is not possible
    (no messages named, a message not in this case, or all of its messages named)."""
    case = session.scalars(select(Case).where(Case.id == case_id).with_for_update()).one_or_none()
    rows = list(session.scalars(select(MessageRow).where(MessageRow.id.in_(message_ids), MessageRow.case_id == case_id)
                                .order_by(MessageRow.received_at)))
    if case is None or case.merged_into or not rows or len(rows) != len(set(message_ids)) or len(rows) >= case.message_count:
        return None
    first, now = rows[0], utcnow()
    new = Case(status="open", urgency=max((row.urgency for row in rows), key=URGENCY_RANK.__getitem__),
               categories=sorted({c for row in rows for c in row.categories}), reasons=list(first.reasons),
               channel=first.channel, contact_id=first.contact_id, subject=first.subject, opened_at=first.received_at,
               updated_at=now, last_message_at=rows[-1].received_at, message_count=len(rows), flags=[])
    session.add(new)
    session.flush()
    moved = [row.id for row in rows]
    session.execute(update(MessageRow).where(MessageRow.id.in_(moved)).values(case_id=new.id))
    case.message_count -= len(rows)
    case.updated_at = now
    add_event(session, case_id, actor, "split", case=new.id, message_ids=moved, reason=reason, via=via)
    add_event(session, new.id, actor, "split_from", case=case_id, message_ids=moved, reason=reason, via=via)
    return new.id
