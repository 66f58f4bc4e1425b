"""Bounces and delivery reports attach to the delivery they report on; they never open a case.

RFC 3464 (DSN) and the older free-text bounces: `parse` already found the
Message-ID of the mail the report is about (`reply_to["report_message_id"]`),
its recipients, action and status. Our outgoing Message-ID is the delivery's
`provider_id`, so the report finds its delivery, becomes an event on that
delivery's case, and a permanent failure (action `failed` or a 5.x.x status)
suppresses the address like an opt-out, so nothing non-essential goes there again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.models import FLAG_BOUNCE, Message, utcnow
from frontdesk.store.cases import add_event, record_opt_out
from frontdesk.store.tables import Delivery


def is_report(message: Message) -> bool:
    """True for bounces, DSNs, MDNs and feedback reports (the `bounce` flag)."""
    return message.channel == "email" and FLAG_BOUNCE in message.flags


def is_permanent(report: dict[str, str]) -> bool:
    """A hard bounce: a `failed` action or a 5.x.x status (no status at all with failed recipients counts too)."""
    status, action = report.get("report_status", ""), report.get("report_action", "")
    return action == "failed" or status.startswith("5") or (not status and not action and "report_recipients" in report)


def attach_report(session: Session, message: Message) -> int | None:
    """Record `message` (a report) on the delivery it is about; the delivery's id, or None when it is not ours.

    Call it instead of routing for every message where `is_report` holds.
    """
    reported = message.reply_to.get("report_message_id", "")
    delivery = session.scalars(
        select(Delivery).where(Delivery.sender == "email", Delivery.provider_id == reported).limit(1)
    ).first() if reported else None
    if delivery is None:
        return None
    permanent = is_permanent(message.reply_to)
    details = {key.removeprefix("report_"): value for key, value in message.reply_to.items()
               if key.startswith("report_")}
    delivery.detail = {**(delivery.detail or {}), "report": details}
    if permanent:
        delivery.status = "failed"
        delivery.error = f"bounced: {details.get('status') or details.get('action') or 'permanent failure'}"
        delivery.updated_at = utcnow()
    add_event(session, delivery.case_id, "email", "delivery_report", delivery_id=delivery.id,
              permanent=permanent, **details)
    if permanent:
        for address in (details.get("recipients") or delivery.target).split():
            record_opt_out(session, "email", address.strip().lower(), "hard-bounce", delivery.case_id)
    return delivery.id
