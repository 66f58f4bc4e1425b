"""Finding a person in the store: which contacts a CONTACT argument names, and what is held on each.

A CONTACT is a contact id (`42`), an email address, a channel identity
(`slack:U024BE7LH`) or a bare handle (matched on every channel, also where
the channel qualifies it, as the generic API's `<client>:<handle>`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from frontdesk.mentions.store import Mention
from frontdesk.privacy.errors import SubjectNotFoundError
from frontdesk.store.tables import Case, Contact, ContactIdentity, Delivery, MessageRow, OptOut

MIN_IDENTIFIER = 5  # shorter strings would match unrelated Redis values


def resolve_contacts(session: Session, contact: str) -> list[int]:
    """The ids of the contacts `contact` names; SubjectNotFoundError when none."""
    text = contact.strip()
    if text.isdigit():
        found = [text] if session.get(Contact, int(text)) is not None else []
        return [int(item) for item in found] or _missing(contact)
    # Some channels qualify handles (the generic API writes `<client>:<handle>`).
    conditions = [ContactIdentity.handle == text, ContactIdentity.handle.endswith(":" + text, autoescape=True)]
    channel, _, handle = text.partition(":")
    if handle:
        conditions.append((ContactIdentity.channel == channel) & (ContactIdentity.handle == handle))
    ids = set(session.scalars(select(ContactIdentity.contact_id).where(or_(*conditions))))
    ids.update(session.scalars(select(Contact.id).where(Contact.email == text)))
    return sorted(ids) or _missing(contact)


def _missing(contact: str) -> list[int]:
    raise SubjectNotFoundError(f"no contact matches {contact!r}")


@dataclass
class Holdings:
    """Everything the database holds on one contact, by table."""

    contact: Contact
    identities: list[ContactIdentity]
    cases: list[Case]
    messages: list[MessageRow]
    deliveries: list[Delivery]
    opt_outs: list[OptOut]
    mentions: list[Mention] = field(default_factory=list)
    identifiers: set[str] = field(default_factory=set)

    @property
    def case_ids(self) -> list[int]:
        """Ids of the contact's cases."""
        return [case.id for case in self.cases]

    @property
    def message_ids(self) -> list[str]:
        """Ids of the contact's messages (and so of their raw payloads)."""
        return [message.id for message in self.messages]


def holdings(session: Session, contact_id: int) -> Holdings:
    """Load what is held on the contact: its identities, cases, messages, deliveries to it, opt-outs."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise SubjectNotFoundError(f"no contact {contact_id}")
    identities = list(session.scalars(select(ContactIdentity).where(ContactIdentity.contact_id == contact_id)))
    cases = list(session.scalars(select(Case).where(Case.contact_id == contact_id).order_by(Case.id)))
    case_ids = [case.id for case in cases]
    messages = list(session.scalars(select(MessageRow).where(MessageRow.contact_id == contact_id)
                                    .order_by(MessageRow.received_at)))
    deliveries = list(session.scalars(select(Delivery).where(Delivery.case_id.in_(case_ids)).order_by(Delivery.id)))
    addresses = [identity.handle for identity in identities] + ([contact.email] if contact.email else [])
    opt_outs = list(session.scalars(select(OptOut).where(OptOut.address.in_(addresses)))) if addresses else []
    found = Holdings(contact, identities, cases, messages, deliveries, opt_outs)
    pairs = [(identity.channel, identity.handle) for identity in identities]
    if pairs:
        found.mentions = list(session.scalars(select(Mention).where(tuple_(Mention.channel, Mention.author_id).in_(pairs))))
    found.identifiers = identifiers_of(found)
    return found


def identifiers_of(found: Holdings) -> set[str]:
    """Strings that identify the person or are their words: handles, email, name, message texts and subjects.

    Used to find traces outside the tables (Redis values, failed jobs, quarantined payloads).
    """
    values = {identity.handle for identity in found.identities}
    values.update(value for value in (found.contact.email, found.contact.name) if value)
    for message in found.messages:
        values.update(value for value in (message.text, message.subject) if value)
    values.update(case.subject for case in found.cases if case.subject)
    for mention in found.mentions:
        values.update(value for value in (mention.author_handle, mention.author_name, mention.text) if value)
    return {value for value in values if len(value) >= MIN_IDENTIFIER}
