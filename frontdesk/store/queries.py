"""Read models for the JSON API, the CLI and the dashboard: cases as plain dicts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from frontdesk.store.tables import Case, CaseEvent, Contact, Delivery, MessageRow


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def case_summary(case: Case, contact: Contact | None) -> dict:
    """One case as the list endpoints show it."""
    return {
        "id": case.id,
        "status": case.status,
        "urgency": case.urgency,
        "categories": list(case.categories),
        "channel": case.channel,
        "contact": {"id": case.contact_id, "name": contact.name if contact else None,
                    "email": contact.email if contact else None},
        "subject": case.subject,
        "message_count": case.message_count,
        "opened_at": _iso(case.opened_at),
        "last_message_at": _iso(case.last_message_at),
        "acknowledged_at": _iso(case.acknowledged_at),
        "acknowledged_by": case.acknowledged_by,
        "resolved_at": _iso(case.resolved_at),
        "escalation_step": case.escalation_step,
        "flags": list(case.flags),
    }


def list_cases(session: Session, *, status: str | None = None, urgency: str | None = None,
               channel: str | None = None, limit: int = 100, before_id: int | None = None) -> list[dict]:
    """Newest cases first, filtered; page with `before_id`."""
    query = select(Case, Contact).join(Contact, Contact.id == Case.contact_id).order_by(Case.id.desc()).limit(limit)
    if status:
        query = query.where(Case.status == status)
    if urgency:
        query = query.where(Case.urgency == urgency)
    if channel:
        query = query.where(Case.channel == channel)
    if before_id:
        query = query.where(Case.id < before_id)
    return [case_summary(case, contact) for case, contact in session.execute(query).all()]


def case_detail(session: Session, case_id: int) -> dict | None:
    """A case with its messages, reasons, deliveries and audit events; None when unknown."""
    case = session.get(Case, case_id)
    if case is None:
        return None
    detail = case_summary(case, session.get(Contact, case.contact_id))
    detail["reasons"] = list(case.reasons)
    detail["merged_into"] = case.merged_into
    detail["messages"] = [{
        "id": row.id, "channel": row.channel, "external_id": row.external_id, "subject": row.subject,
        "text": row.text, "sent_at": _iso(row.sent_at), "received_at": _iso(row.received_at),
        "urgency": row.urgency, "categories": list(row.categories), "reasons": list(row.reasons),
        "flags": list(row.flags), "public": row.public, "language": row.language,
    } for row in session.scalars(select(MessageRow).where(MessageRow.case_id == case_id).order_by(MessageRow.sent_at))]
    detail["deliveries"] = [{
        "id": row.id, "kind": row.kind, "sender": row.sender, "recipient": row.recipient, "status": row.status,
        "attempts": row.attempts, "provider_id": row.provider_id, "error": row.error,
        "created_at": _iso(row.created_at), "updated_at": _iso(row.updated_at),
    } for row in session.scalars(select(Delivery).where(Delivery.case_id == case_id).order_by(Delivery.id))]
    detail["events"] = [{
        "id": row.id, "at": _iso(row.at), "actor": row.actor, "kind": row.kind, "data": row.data,
    } for row in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))]
    return detail


def count_cases(session: Session) -> dict[str, int]:
    """Cases per urgency, for the demo summary and health pages."""
    return dict(session.execute(select(Case.urgency, func.count()).group_by(Case.urgency)).all())
