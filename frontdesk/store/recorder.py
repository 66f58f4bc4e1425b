"""Recording routed messages, a batch at a time, in few statements.

A worker routes up to `workers.batch_size` messages in one transaction. What
a later message of the same batch must find by SQL — contacts, identities,
the state of existing cases — is written at once, one short Core statement
each. The cases the batch opens are kept here (on SQLite, see `_open_case`)
until `write_cases`, which runs before anything reads cases by SQL or writes
a row that refers to one. The bulk of the rows — messages, thread keys, audit
events, acknowledgment deliveries — is collected and written by `flush` in
one executemany per table, the events linked into their cases' hash chains
in memory. Until then `BatchLookup` answers the router from the store plus
the rows not yet written, so a batch routes exactly as one transaction per
message would.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from frontdesk.audit.chain import event_row, insert_linked, link_new_chains
from frontdesk.models import FLAG_UNPARSED, URGENCY_RANK, Decision, Message, utcnow
from frontdesk.models import Contact as Sender
from frontdesk.store.batch_lookup import BatchLookup
from frontdesk.store.cases import merge_proven_cases
from frontdesk.store.claimed_acks import ClaimedAck, PlannedAck, claim_acknowledgments
from frontdesk.store.tables import Case, Contact, ContactIdentity, Delivery, MessageRow, ThreadKey

CASES, CONTACTS, IDENTITIES = Case.__table__, Contact.__table__, ContactIdentity.__table__
MESSAGES, THREAD_KEYS, DELIVERIES = MessageRow.__table__, ThreadKey.__table__, Delivery.__table__
# Built once with bound parameters: building a statement costs more than SQLite takes to run it.
IDENTITY = (select(IDENTITIES.c.contact_id, CONTACTS.c.email, CONTACTS.c.name)
            .join(CONTACTS, CONTACTS.c.id == IDENTITIES.c.contact_id)
            .where(IDENTITIES.c.channel == bindparam("channel"), IDENTITIES.c.handle == bindparam("handle")))
SET_EMAIL = update(CONTACTS).where(CONTACTS.c.id == bindparam("contact")).values(email=bindparam("email"))
CASE_STATE = select(CASES.c.id, CASES.c.status, CASES.c.urgency, CASES.c.categories, CASES.c.acknowledged_at,
                    CASES.c.escalation_step, CASES.c.last_message_at, CASES.c.merged_into
                    ).where(CASES.c.id == bindparam("case")).with_for_update()
INSERT_IDENTITY, INSERT_CASE, INSERT_MESSAGES = IDENTITIES.insert(), CASES.insert(), MESSAGES.insert()
INSERT_DELIVERIES = DELIVERIES.insert().returning(DELIVERIES.c.key, DELIVERIES.c.id)
INSERT_CONTACTS = CONTACTS.insert().returning(CONTACTS.c.id, CONTACTS.c.name, CONTACTS.c.email)
LAST_CASE_ID = select(func.max(CASES.c.id))
ADD_MESSAGE = update(CASES).where(CASES.c.id == bindparam("case")).values(message_count=CASES.c.message_count + 1)
LIVE_ACK = select(DELIVERIES.c.id).where(
    DELIVERIES.c.case_id == bindparam("case"), DELIVERIES.c.kind == "ack", DELIVERIES.c.recipient == bindparam("to"),
    DELIVERIES.c.created_at >= bindparam("since"),
    DELIVERIES.c.status.in_(("pending", "sending", "sent", "unknown"))).limit(1)


@dataclass(frozen=True)
class Recorded:
    """What recording one routed message did; its acknowledgment delivery exists once the recorder flushed."""

    case_id: int
    new_case: bool
    contact_id: int
    ack_key: str | None
    start_paging: bool


@dataclass
class _CaseState:
    id: int
    status: str
    urgency: str
    categories: list
    acknowledged_at: object
    escalation_step: int
    last_message_at: object


class Recorder:
    """Records routed messages in the caller's transaction; call `flush` before it commits."""

    def __init__(self, session: Session):
        self.session = session
        self.connection = session.connection()
        self.insert = postgresql.insert if self.connection.dialect.name == "postgresql" else sqlite.insert
        self.lookup = BatchLookup(session, self)
        self.pending_keys: dict[tuple[str, str], int] = {}
        self.pending_by_key: dict[str, list[int]] = {}  # the same keys, on any channel
        self.contacts: dict[tuple[str, str], tuple[int, bool]] = {}  # contacts of senders met in this batch
        self.recorded: set[tuple[str, str]] = set()  # senders with a message recorded in this batch
        self.last_message_at: dict[int, object] = {}  # cases this batch added a message to
        self._acknowledged: set[tuple[int, str]] = set()
        self._messages: list[dict] = []
        self._keys: list[dict] = []
        self._events: list[dict] = []
        self._deliveries: list[dict] = []
        self._opened: dict[int, dict] = {}  # facts of the cases this batch opened, as written
        # SQLite: cases this batch opened, not yet written, with the state later messages of the batch see;
        # their ids are handed out here, under the write lock the transaction holds (see `_open_case`).
        self._new_cases: dict[int, dict] = {}
        self._new_states: dict[int, _CaseState] = {}
        self._next_case_id: int | None = None
        self._claimable: dict[str, PlannedAck] = {}
        self.names: dict[int, str | None] = {}  # contact -> name, for the contacts this batch met
        self.claimed: list[ClaimedAck] = []
        self.delivery_ids: dict[str, int] = {}  # every delivery written, by key, whichever flush wrote it

    def record(self, message: Message, decision: Decision, *, ack_target: str | None,
               ack_window: timedelta, ack_claimable: bool = False) -> Recorded:
        """Store a routed message in its case (opening one if needed) and plan its acknowledgment.

        `start_paging` says whether paging should start: the decision asks for
        it and the case is neither acknowledged nor already paging.
        `ack_claimable` says that the acknowledgment's sender may be sent to
        twice without harm and nothing in the message forbids an answer: if
        it opens a case, `flush` claims it (see `ClaimedAck`) unless its
        recipient opted out or the batch changed the case again.
        """
        contact_id = self._contact(message)
        case, new_case = self._case(message, decision, contact_id)
        self.recorded.add((message.channel, message.sender.handle))
        if decision.thread.merge_case_ids:
            self._merge(case.id, decision)
        self._store_message(message, decision, case.id, contact_id)
        self._register_thread_keys(message, case.id, decision.thread.keys)
        ack_key = self._plan_acknowledgment(message, decision, case.id, new_case, str(contact_id),
                                            ack_target, ack_window)
        if ack_key is not None and ack_claimable and new_case:
            self._claimable[ack_key] = PlannedAck(message, decision.classification.language, case.id, contact_id)
        start_paging = decision.page and case.acknowledged_at is None and case.escalation_step < 0
        return Recorded(case.id, new_case, contact_id, ack_key, start_paging)

    def event(self, case_id: int, actor: str, kind: str, **data) -> None:
        """An audit event on the case, written (and chained) at `flush`."""
        self._events.append(event_row(case_id, actor, kind, data))

    def flush(self) -> dict[str, int]:
        """Write everything collected; returns the new deliveries' ids by key."""
        execute = self.connection.execute
        new_events = [row for row in self._events if row["case_id"] in self._new_cases]
        for case_id, (seq, head) in link_new_chains(new_events).items():
            self._new_cases[case_id].update(event_seq=seq, chain_head=head)
        self.write_cases()
        if self._messages:
            execute(INSERT_MESSAGES, self._messages)
        if self._keys:
            # A key already leading to a case keeps leading there.
            execute(self.insert(THREAD_KEYS).on_conflict_do_nothing(index_elements=["channel", "key"]), self._keys)
        ids: dict[str, int] = {}
        if self._deliveries:
            # Matched by key, so the rows may come back in any order: SQLite cannot promise one, and asking
            # for it makes SQLAlchemy insert a row per statement.
            claims = self._claim_acknowledgments()
            returned = execute(INSERT_DELIVERIES, self._deliveries)
            ids = dict(returned.all())
            self.delivery_ids.update(ids)
            self.claimed += [replace(claim, delivery_id=ids[claim.key]) for claim in claims]
        if self._events:
            linked = {id(row) for row in new_events}
            insert_linked(self.connection, [row for row in self._events if id(row) not in linked], new_events)
        self._messages, self._keys, self._events, self._deliveries = [], [], [], []
        self._next_case_id = None
        self.pending_keys.clear()
        self.pending_by_key.clear()
        self.lookup.forget()
        return ids

    def write_cases(self) -> None:
        """Write the cases this batch opened and has not written yet, as they stand: before anything else
        reads cases by SQL or writes a row that refers to one."""
        if self._new_cases:
            self.connection.execute(INSERT_CASE, list(self._new_cases.values()))
            self._new_cases.clear()
            self._new_states.clear()

    def _claim_acknowledgments(self) -> list[ClaimedAck]:
        """Claim the planned acknowledgments that `record` found claimable, where the case is still as opened
        and the contact's name is known (see frontdesk.store.claimed_acks)."""
        planned = {key: plan for key, plan in self._claimable.items()
                   if plan.case_id not in self.last_message_at and plan.contact_id in self.names}
        self._claimable = {}
        return claim_acknowledgments(self.session, planned, self._deliveries, self._opened, self.names)

    def add_senders(self, senders: list[Sender]) -> None:
        """Create, in two statements, the contacts and identities of these senders that neither the store
        (as prefetched by `lookup`) nor this batch knows yet. For senders whose messages will be recorded
        whatever the router decides; `record` creates the others one at a time."""
        new: dict[tuple[str, str], Sender] = {}
        for sender in senders:
            handle = (sender.channel, sender.handle)
            if handle not in self.contacts and handle not in new and self.lookup.known_identity(*handle) is None:
                new[handle] = sender
        if new:
            self._create_contacts(new)

    def _create_contacts(self, new: dict[tuple[str, str], Sender]) -> None:
        """One contact and one channel identity for each of these senders, in two statements."""
        now = utcnow()
        rows = [{"name": sender.name, "email": sender.email, "created_at": now} for sender in new.values()]
        # Rows with the same name and email are alike, so ids are handed out by (name, email): whatever
        # order the store returns them in (SQLite promises none), each sender gets a contact of its own.
        ids: dict[tuple, list[int]] = {}
        for row in self.connection.execute(INSERT_CONTACTS, rows):
            ids.setdefault((row.name, row.email), []).append(row.id)
        identities = []
        for handle, sender in new.items():
            contact_id = ids[(sender.name, sender.email)].pop()
            self.contacts[handle] = (contact_id, bool(sender.email))
            self.names[contact_id] = sender.name
            identities.append({"contact_id": contact_id, "channel": sender.channel, "handle": sender.handle,
                               "verified": sender.email_verified, "linked_by": "channel"})
        self.connection.execute(INSERT_IDENTITY, identities)

    def _contact(self, message: Message) -> int:
        handle = (message.channel, message.sender.handle)
        email = message.sender.email
        known = self.contacts.get(handle)
        if known is None:
            known = self.lookup.known_identity(*handle)
        if known is False:
            row = self.connection.execute(IDENTITY, {"channel": handle[0], "handle": handle[1]}).first()
            known = (row.contact_id, bool(row.email)) if row is not None else None
            if row is not None:
                self.names[row.contact_id] = row.name
        if known is None:
            self._create_contacts({handle: message.sender})
            return self.contacts[handle][0]
        if known[0] not in self.names and known[0] in self.lookup.names:
            self.names[known[0]] = self.lookup.names[known[0]]
        if email and not known[1]:
            self.connection.execute(SET_EMAIL, {"contact": known[0], "email": email})
            known = (known[0], True)
        self.contacts[handle] = known
        return known[0]

    def _case(self, message: Message, decision: Decision, contact_id: int) -> tuple[_CaseState, bool]:
        if decision.thread.case_id is not None:
            case = self._case_state(decision.thread.case_id)
            self._update_case(case, message, decision)
            return case, False
        urgency, now = decision.urgency, utcnow()
        categories = list(decision.classification.categories)
        reasons = [reason.model_dump() for reason in decision.reasons]
        row = {"status": "open", "urgency": urgency, "categories": categories, "reasons": reasons,
               "channel": message.channel, "contact_id": contact_id, "subject": message.subject, "opened_at": now,
               "updated_at": now, "last_message_at": message.received_at, "message_count": 1,
               "flags": [FLAG_UNPARSED] if FLAG_UNPARSED in message.flags else [], "event_seq": 0, "chain_head": ""}
        case_id = self._open_case(row)
        self.event(case_id, "router", "opened", message_id=message.id, channel=message.channel,
                   urgency=urgency, categories=categories, reasons=reasons)
        if decision.thread.suggested_case_id is not None:
            self.event(case_id, "router", "link_suggested", message_id=message.id,
                       case=decision.thread.suggested_case_id, evidence=decision.thread.evidence)
        self._opened[case_id] = dict(id=case_id, urgency=urgency, categories=categories, reasons=reasons,
                                     channel=message.channel, subject=message.subject, contact_id=contact_id)
        state = _CaseState(case_id, "open", urgency, categories, None, -1, message.received_at)
        if case_id in self._new_cases:
            self._new_states[case_id] = state
        return state, True

    def _open_case(self, row: dict) -> int:
        """The new case's id. On SQLite the row waits for `write_cases`, with an id handed out here: the
        transaction holds the only write lock, so the largest id cannot move, and a batch's cases are then
        written in one statement. PostgreSQL's workers write concurrently: there the row is written now."""
        if self.connection.dialect.name != "sqlite":
            return self.connection.execute(INSERT_CASE, row).inserted_primary_key[0]
        if self._next_case_id is None:
            self._next_case_id = (self.connection.scalar(LAST_CASE_ID) or 0) + 1
        row["id"] = case_id = self._next_case_id
        self._next_case_id += 1
        self._new_cases[case_id] = row
        return case_id

    def _case_state(self, case_id: int) -> _CaseState:
        """The case (followed through merges), locked for this transaction where the store can."""
        if case_id in self._new_states:
            return self._new_states[case_id]
        while True:
            row = self.connection.execute(CASE_STATE, {"case": case_id}).one()
            if row.merged_into is None:
                return _CaseState(*row[:-1])
            case_id = row.merged_into

    def _update_case(self, case: _CaseState, message: Message, decision: Decision) -> None:
        urgency, thread = decision.urgency, decision.thread
        self.event(case.id, "router", "message_added", message_id=message.id, channel=message.channel,
                   thread=thread.how, evidence=thread.evidence)
        if thread.how == "linked":
            self.event(case.id, "router", "linked", message_id=message.id, channel=message.channel,
                       confidence=thread.confidence, evidence=thread.evidence)
        now = utcnow()
        values = {"case": case.id, "updated_at": now, "last_message_at": max(case.last_message_at, message.received_at)}
        if case.status == "resolved":
            self.event(case.id, "router", "reopened", message_id=message.id)
            values.update(status="open", resolved_at=None)
            case.status = "open"
        if URGENCY_RANK[urgency] > URGENCY_RANK[case.urgency]:
            self.event(case.id, "router", "urgency_raised", old=case.urgency, new=urgency, message_id=message.id,
                       reasons=[reason.model_dump() for reason in decision.classification.reasons])
            values.update(urgency=urgency, reasons=[reason.model_dump() for reason in decision.reasons])
            case.urgency = urgency
        new_categories = [c for c in decision.classification.categories if c not in case.categories]
        if new_categories:
            case.categories = list(case.categories) + new_categories
            values["categories"] = case.categories
        case.last_message_at = values["last_message_at"]
        self.last_message_at[case.id] = case.last_message_at
        unwritten = self._new_cases.get(case.id)
        if unwritten is None:
            self.connection.execute(ADD_MESSAGE, values)
        else:
            values.pop("case")
            unwritten.update(values, message_count=unwritten["message_count"] + 1)

    def _merge(self, case_id: int, decision: Decision) -> None:
        """Merge the cases the router proved to be this case's thread, through the desk's ORM merge."""
        self._claimable = {}  # the merge may move the batch's cases and their deliveries
        self.flush()  # the merge moves rows by SQL: everything collected so far must be in the store
        self.session.flush()
        self.session.expire_all()  # cases this recorder changed by Core statements
        merge_proven_cases(self.session, case_id, decision)
        self.session.flush()

    def _store_message(self, message: Message, decision: Decision, case_id: int, contact_id: int) -> None:
        classification = decision.classification
        self._messages.append(dict(
            id=message.id, idempotency_key=message.idempotency_key, case_id=case_id, contact_id=contact_id,
            channel=message.channel, external_id=message.external_id, subject=message.subject, text=message.text,
            thread_key=message.thread_key, sent_at=message.sent_at, received_at=message.received_at,
            routed_at=utcnow(), urgency=decision.urgency, categories=list(classification.categories),
            reasons=[reason.model_dump() for reason in decision.reasons], scores=dict(classification.scores),
            sentiment=classification.sentiment, language=classification.language, public=message.public,
            flags=sorted(message.flags), reply_to=dict(message.reply_to),
            attachments=[a.model_dump() for a in message.attachments],
        ))

    def _register_thread_keys(self, message: Message, case_id: int, extra: tuple[str, ...]) -> None:
        for key in sorted({key for key in (message.thread_key, *message.own_ids, *extra) if key}):
            if (message.channel, key) not in self.pending_keys:
                self.pending_keys[(message.channel, key)] = case_id
                self.pending_by_key.setdefault(key, []).append(case_id)
                self._keys.append({"channel": message.channel, "key": key, "case_id": case_id})

    def _plan_acknowledgment(self, message: Message, decision: Decision, case_id: int, new_case: bool,
                             recipient: str, target: str | None, window: timedelta) -> str | None:
        if not decision.acknowledge:
            return None
        if target is None:
            self.event(case_id, "outbound", "acknowledgment_skipped", message_id=message.id,
                       reason=f"channel {message.channel} cannot reply")
            return None
        if (case_id, recipient) in self._acknowledged or (not new_case and self._acknowledged_before(
                case_id, recipient, utcnow() - window)):
            self.event(case_id, "outbound", "acknowledgment_skipped", message_id=message.id,
                       reason=f"already acknowledged within {window}")
            return None
        self._acknowledged.add((case_id, recipient))
        key = f"ack:{message.id}"
        now = utcnow()
        self._deliveries.append(dict(
            key=key, case_id=case_id, message_id=message.id, kind="ack", sender=message.channel, target=target,
            recipient=recipient, status="pending", attempts=0, detail={}, created_at=now, updated_at=now))
        return key

    def _acknowledged_before(self, case_id: int, recipient: str, since) -> bool:
        return self.connection.execute(LIVE_ACK, {"case": case_id, "to": recipient, "since": since}).first() is not None


def record_message(session: Session, message: Message, decision: Decision, *, ack_target: str | None,
                   ack_window: timedelta) -> tuple[Recorded, int | None]:
    """Record one routed message on its own; with the id of its acknowledgment delivery, if one is planned."""
    recorder = Recorder(session)
    recorded = recorder.record(message, decision, ack_target=ack_target, ack_window=ack_window)
    return recorded, recorder.flush().get(recorded.ack_key)
