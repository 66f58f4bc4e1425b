"""What the dashboard's pages show, read from the store: filtered case lists with clocks, and a case page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from frontdesk.clocks.clocks import ClockPolicy, case_times, delivery_times
from frontdesk.store.queries import case_detail, case_summary
from frontdesk.store.tables import Case, Contact, ContactIdentity, Delivery

FILTERS = ("urgency", "category", "channel", "status", "contact")
MAX_CONTACTS = 500


@dataclass(frozen=True)
class CaseFilters:
    """The list's filters; empty strings mean "any"."""

    urgency: str = ""
    category: str = ""
    channel: str = ""
    status: str = ""
    contact: str = ""

    def active(self) -> dict[str, str]:
        """The filters that are set, for links that keep them."""
        return {name: getattr(self, name) for name in FILTERS if getattr(self, name)}


def _filtered(query, filters: CaseFilters):
    if filters.urgency:
        query = query.where(Case.urgency == filters.urgency)
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.channel:
        query = query.where(Case.channel == filters.channel)
    if filters.category:
        query = query.where(cast(Case.categories, String).like(f'%"{_escape_like(filters.category)}"%', escape="\\"))
    return query


def _contact_ids(session: Session, text: str) -> list[int]:
    """Contacts matching `text`: exactly by id, email or channel handle when any does (indexed lookups),
    else those whose name, email or a handle contains it (at most MAX_CONTACTS of them).

    Looked up first so the case query can use its contact index instead of
    scanning every case for a rare person.
    """
    exact = {text, text.lower()}
    found = set(session.scalars(select(Contact.id).where(Contact.email.in_(exact))))
    found |= set(session.scalars(select(ContactIdentity.contact_id).where(ContactIdentity.handle.in_(exact))))
    if text.isdigit():
        found |= set(session.scalars(select(Contact.id).where(Contact.id == int(text))))
    if found:
        return sorted(found)[:MAX_CONTACTS]
    pattern = f"%{_escape_like(text.lower())}%"
    by_person = select(Contact.id).where(or_(Contact.name.ilike(pattern, escape="\\"),
                                             Contact.email.ilike(pattern, escape="\\"))).limit(MAX_CONTACTS)
    by_handle = select(ContactIdentity.contact_id).where(
        ContactIdentity.handle.ilike(pattern, escape="\\")).limit(MAX_CONTACTS)
    found = set(session.scalars(by_person)) | set(session.scalars(by_handle))
    return sorted(found)[:MAX_CONTACTS]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def case_rows(session: Session, policy: ClockPolicy, filters: CaseFilters, limit: int, before_id: int | None,
              now: datetime) -> list[dict]:
    """Newest cases first (one page), each with its clocks."""
    # For a contact, `id + 0` keeps the planner from walking the whole id index backwards looking for a few
    # rare rows: it reads that person's cases through the contact index and sorts them instead.
    order = (Case.id + 0).desc() if filters.contact else Case.id.desc()
    query = select(Case, Contact).join(Contact, Contact.id == Case.contact_id).order_by(order).limit(limit)
    if before_id:
        query = query.where(Case.id < before_id)
    if filters.contact:
        query = query.where(Case.contact_id.in_(_contact_ids(session, filters.contact)))
    pairs = session.execute(_filtered(query, filters)).all()
    sent = delivery_times(session, [case.id for case, _ in pairs])
    rows = []
    for case, contact in pairs:
        row = case_summary(case, contact)
        row["clocks"] = policy.clocks(case_times(case, sent.get(case.id)), now)
        rows.append(row)
    return rows


def case_page(session: Session, policy: ClockPolicy, case_id: int, now: datetime) -> dict | None:
    """Everything the case page shows; None when there is no such case."""
    detail = case_detail(session, case_id)
    if detail is None:
        return None
    case = session.get(Case, case_id)
    detail["clocks"] = policy.clocks(case_times(case, delivery_times(session, [case_id]).get(case_id)), now)
    detail["merged_from"] = [
        {"id": row.id, "subject": row.subject, "channel": row.channel, "merge": _merge_evidence(detail, row.id)}
        for row in session.scalars(select(Case).where(Case.merged_into == case_id).order_by(Case.id))]
    detail["split_links"] = [event for event in detail["events"] if event["kind"] in ("split", "split_from")]
    detail["threading"] = [event for event in detail["events"]
                           if event["kind"] == "message_added" and event["data"].get("evidence")]
    pages = session.scalars(select(Delivery).where(Delivery.case_id == case_id, Delivery.kind.in_(("page", "alert")))
                            .order_by(Delivery.id))
    detail["pages"] = [{"id": page.id, "kind": page.kind, "sender": page.sender, "recipient": page.recipient,
                        "person": page.detail.get("person_name"), "status": page.status, "at": page.updated_at,
                        "error": page.error} for page in pages]
    detail["identities"] = [f"{identity.channel}:{identity.handle}" for identity in session.scalars(
        select(ContactIdentity).where(ContactIdentity.contact_id == case.contact_id).order_by(ContactIdentity.id))]
    return detail


def _merge_evidence(detail: dict, source_id: int) -> dict | None:
    for event in detail["events"]:
        if event["kind"] == "merged" and event["data"].get("case") == source_id:
            return event
    return None

