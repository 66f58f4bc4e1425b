"""Routing in batches: messages that share one transaction route as if each had its own, and a message
that breaks the batch is quarantined alone while the rest are routed once."""

from __future__ import annotations

from datetime import timedelta

import requests
from rq import SimpleWorker
from sqlalchemy import select

from channels.registry import CHANNELS
from frontdesk.audit.verify import verify_chains
from frontdesk.errors import MalformedPayloadError
from frontdesk.models import Contact as Sender
from frontdesk.models import Message, utcnow
from frontdesk.queue import INTAKE, INTAKE_BUFFER
from frontdesk.store.recorder import Recorder
from frontdesk.store.tables import (Case, CaseEvent, Contact, ContactIdentity, Delivery, MessageRow, OptOut,
                                     RawPayload)
from tests.router.judging import default_router
from tests.test_end_to_end import oncall



def client(receiver_url: str) -> dict:
    return {"api": {"clients": [{"name": "default", "callback_url": f"{receiver_url}/ack"}]}}


def message(external_id: str, handle: str, text: str, thread_key: str | None = None) -> dict:
    body = {"external_id": external_id, "sender": {"handle": handle, "name": handle.title()},
            "subject": "Order trouble", "text": text}
    return body | ({"thread_key": thread_key} if thread_key else {})


def test_messages_of_one_batch_thread_together_and_are_acknowledged_once(make_platform, receiver, database_url):
    platform = make_platform(database_url=database_url, channels=client(receiver.url))
    for body in (message("b-1", "ann", "My order 1182 arrived broken.", "order-1182"),
                 message("b-2", "ann", "Also the invoice for it is wrong.", "order-1182"),
                 message("b-3", "bob", "The delivery driver left my parcel in the rain.")):
        assert platform.post_message(body).status_code == 202
    platform.work()  # all three in one drain, one batch

    with platform.runtime.sessions() as session:
        cases = session.scalars(select(Case).order_by(Case.id)).all()
        assert [case.message_count for case in cases] == [2, 1]
        kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == cases[0].id)
                                .order_by(CaseEvent.seq)).all()
        assert kinds[:2] == ["opened", "message_added"] and "acknowledgment_skipped" in kinds
        assert session.scalars(select(Delivery.kind).where(Delivery.kind == "ack")).all() == ["ack", "ack"]
    assert sorted(r.json()["data"]["external_id"] for r in receiver.on("/ack")) == ["default:b-1", "default:b-3"]
    report = verify_chains(platform.runtime.sessions)
    assert report.broken == [] and report.events >= 5


class BrittleAdapter:
    """A channel whose parser has a bug for one payload: the kind of fault a batch must survive."""

    @staticmethod
    def parse(raw):
        if raw.body == b"boom":
            raise RuntimeError("parser bug")
        raise MalformedPayloadError("not a brittle message")


def test_a_message_that_breaks_its_batch_is_quarantined_alone(make_platform, receiver, database_url, monkeypatch):
    monkeypatch.setitem(CHANNELS, "brittle", BrittleAdapter)
    platform = make_platform(database_url=database_url, channels=client(receiver.url))
    for n in range(3):
        assert platform.post_message(message(f"ok-{n}", f"person-{n}", f"Complaint number {n}: late again.")
                                     ).status_code == 202
    with platform.runtime.sessions.begin() as session:
        session.add(RawPayload(id="01BRITTLE0000000000000000X", idempotency_key="brittle:1", channel="brittle",
                               received_at=utcnow(), content_type="text/plain", body=b"boom", meta={}))
    INTAKE_BUFFER.push(platform.runtime.redis, ["01BRITTLE0000000000000000X"])
    platform.work()

    with platform.runtime.sessions() as session:
        statuses = dict(session.execute(select(RawPayload.channel, RawPayload.status)
                                        .where(RawPayload.channel == "brittle")).all())
        broken = session.get(RawPayload, "01BRITTLE0000000000000000X")
        assert statuses == {"brittle": "quarantined"}
        assert broken.error == "internal error while routing: RuntimeError"
        assert session.scalars(select(RawPayload.status).where(RawPayload.channel == "api")).all() == ["routed"] * 3
        assert len(session.scalars(select(Case.id)).all()) == 3
    assert sorted(r.json()["data"]["external_id"] for r in receiver.on("/ack")) == [
        "default:ok-0", "default:ok-1", "default:ok-2"]  # the rolled-back batch sent nothing twice


LONG = ("I was charged twice for order 5521 and the second payment of 89 pounds has still not been refunded "
        "after three weeks of emails")


def test_a_later_batch_finds_what_earlier_batches_stored(make_platform, receiver, database_url):
    """Answers a batch reads once up front (thread keys, near-duplicate bands, senders) are those the store
    would give message by message, including for cases the same batch touches."""
    platform = make_platform(database_url=database_url, channels=client(receiver.url))
    for body in (message("s-1", "ann", "My order 1182 arrived broken.", "order-1182"),
                 message("s-2", "bob", "The courier was rude to me at the door."),
                 message("s-3", "cat", LONG)):
        assert platform.post_message(body).status_code == 202
    platform.work()
    for body in (message("s-4", "ann", "Still waiting on a reply about it.", "order-1182"),  # thread key
                 message("s-5", "bob", "And he threw the parcel over the fence."),  # the sender's open case
                 message("s-6", "dan", LONG + "!"),  # the same long complaint from someone else: linked
                 message("s-7", "eve", "A brand new problem with my account login."),  # nobody known
                 message("s-8", "eve", "Forgot to say: it started yesterday.")):  # met earlier in this batch
        assert platform.post_message(body).status_code == 202
    platform.work()

    with platform.runtime.sessions() as session:
        case_of = {external: case for external, case in session.execute(
            select(MessageRow.external_id, MessageRow.case_id))}
        how = {row.data["message_id"]: row.data.get("thread") for row in session.scalars(
            select(CaseEvent).where(CaseEvent.kind == "message_added"))}
    assert case_of["default:s-4"] == case_of["default:s-1"]
    assert case_of["default:s-5"] == case_of["default:s-2"]
    assert case_of["default:s-6"] == case_of["default:s-3"]
    assert case_of["default:s-8"] == case_of["default:s-7"] not in {case_of[f"default:s-{n}"] for n in (1, 2, 3)}
    assert sorted(how.values()) == ["linked", "sender_open_case", "sender_open_case", "thread_key"]
    assert verify_chains(platform.runtime.sessions).broken == []


def test_a_payload_another_worker_routes_while_the_batch_reads_ahead_is_routed_once(
        make_platform, receiver, database_url, monkeypatch):
    """Parsing and classifying happen before the batch's transaction; what counts is the payload's state
    inside it, so a payload routed meanwhile by another worker is left alone."""
    import workers.routing as routing

    platform = make_platform(database_url=database_url, channels=client(receiver.url))
    for n in range(3):
        assert platform.post_message(message(f"r-{n}", f"reader-{n}", f"Parcel {n} never arrived.")).status_code == 202
    read_ahead = routing._read_ahead

    def and_meanwhile(rt, message_ids):
        reads = read_ahead(rt, message_ids)
        with rt.sessions.begin() as session:  # "another worker" takes the first payload
            first = session.scalars(select(RawPayload).where(RawPayload.channel == "api")
                                    .order_by(RawPayload.received_at)).first()
            first.status = "routed"
        return reads

    monkeypatch.setattr(routing, "_read_ahead", and_meanwhile)
    platform.work()

    with platform.runtime.sessions() as session:
        routed = session.scalars(select(MessageRow.external_id)).all()
    assert sorted(routed) == ["default:r-1", "default:r-2"]
    assert sorted(r.json()["data"]["external_id"] for r in receiver.on("/ack")) == ["default:r-1", "default:r-2"]


def test_new_senders_of_one_batch_each_get_a_contact_of_their_own(make_platform, receiver, database_url):
    """A batch creates its new senders' contacts in one statement; senders alike in name and email still
    get one contact each, tied to their own identity and case."""
    platform = make_platform(database_url=database_url, channels=client(receiver.url))
    bodies = [message(f"n-{n}", f"same-{n}", f"Order {n} is missing an item.") for n in range(3)]
    bodies = [body | {"sender": {"handle": body["sender"]["handle"], "name": "Same"}} for body in bodies]
    bodies.append(message("n-3", "same-0", "Adding my email this time.")
                  | {"sender": {"handle": "same-0", "name": "Same", "email": "same0@example.org"}})
    for body in bodies:
        assert platform.post_message(body).status_code == 202
    platform.work()

    with platform.runtime.sessions() as session:
        identities = dict(session.execute(select(ContactIdentity.handle, ContactIdentity.contact_id)).all())
        case_contacts = dict(session.execute(select(MessageRow.external_id, Case.contact_id)
                                             .join(Case, Case.id == MessageRow.case_id)).all())
        emails = dict(session.execute(select(Contact.id, Contact.email)).all())
    assert len(set(identities.values())) == 3 == len(emails)
    for n in range(3):
        assert case_contacts[f"default:n-{n}"] == identities[f"default:same-{n}"]
    assert case_contacts["default:n-3"] == identities["default:same-0"]
    assert emails[identities["default:same-0"]] == "same0@example.org"


def test_the_routing_job_sends_its_batch_s_pages_and_acknowledgments_itself(make_platform, receiver, database_url):
    roster = oncall(receiver.url, people=("dana",))
    roster["escalation"]["ack_timeout"] = "10m"
    platform = make_platform(database_url=database_url, channels=client(receiver.url), oncall=roster)
    for body in (message("now-1", "ann", "The charger caught fire and burned my hand."),
                 message("now-2", "bob", "My parcel arrived late.")):
        assert platform.post_message(body).status_code == 202
    SimpleWorker([INTAKE], connection=platform.runtime.redis).work(burst=True, logging_level="WARNING")

    # Only the intake queue ran, yet the acknowledgments and the page are out.
    assert sorted(r.json()["data"]["external_id"] for r in receiver.on("/ack")) == ["default:now-1", "default:now-2"]
    assert len(receiver.on("/page/dana")) == 1
    platform.work()  # the page job and outbound entries queued as a safety net find nothing left to send
    assert len(receiver.on("/ack")) == 2 and len(receiver.on("/page/dana")) == 1
    with platform.runtime.sessions() as session:
        assert sorted(session.execute(select(Delivery.kind, Delivery.status)).all()) == [
            ("ack", "sent"), ("ack", "sent"), ("page", "sent")]


def test_a_message_a_paging_rule_names_is_routed_and_paged_before_the_backlog(make_platform, receiver, database_url):
    platform = make_platform(database_url=database_url, channels=client(receiver.url), oncall=oncall(receiver.url),
                             workers={"batch_size": 2})
    for n in range(4):
        assert platform.post_message(message(f"r-{n}", f"person-{n}", f"Complaint {n}: my parcel is late again.")
                                     ).status_code == 202
    urgent = message("u-1", "erin", "The charger caught fire and the curtains are smoking.")
    assert platform.post_message(urgent).status_code == 202
    assert platform.post_message(urgent).json()["duplicate"] is True  # a re-delivery is not put first again
    platform.work()

    with platform.runtime.sessions() as session:
        opened = session.execute(select(Case.id, Case.urgency, Contact.name).join(
            Contact, Contact.id == Case.contact_id).order_by(Case.id)).all()
    assert [(urgency, name) for _, urgency, name in opened][0] == ("high", "Erin")  # posted last, routed first
    assert len(opened) == 5
    seen = [item.path if item.path != "/ack" else item.json()["data"]["external_id"] for item in receiver.requests
            if item.path in ("/ack", "/page/dana")]  # (the escalation to lee may come at any time after 1 s)
    assert sorted(seen[:2]) == ["/page/dana", "default:u-1"]  # its page and acknowledgment before the backlog's
    assert sorted(seen[2:6]) == [f"default:r-{n}" for n in range(4)]
    metrics = requests.get(f"{platform.url}/metrics", timeout=10).text
    assert 'frontdesk_messages_first_total{channel="api",rule="safety.fire"} 1.0' in metrics


def room_line(external_id: str, handle: str, text: str) -> dict:
    """A chat-room line bridged through the API: no subject, no thread key."""
    return {"external_id": external_id, "sender": {"handle": handle, "name": handle.title()}, "text": text}


def test_a_room_line_finds_the_case_of_someone_it_names_in_its_own_batch_and_in_a_later_one(
        make_platform, receiver, database_url):
    platform = make_platform(database_url=database_url, channels=client(receiver.url),
                             router={"chat": {"rooms": ["api"]}})
    for body in (room_line("r-1", "ann", "my parcel was left in the rain and everything inside is soaked"),
                 room_line("r-2", "cy", "how do I change the delivery address on an order?"),
                 room_line("r-3", "dee", "ann send us a photo of the box please")):
        assert platform.post_message(body).status_code == 202
    platform.work()  # one batch: ann's case is recorded in it
    assert platform.post_message(room_line("r-4", "eve", "it is under orders, then change address, cy")
                                 ).status_code == 202
    platform.work()  # a later batch: cy's identity comes from the prefetch

    with platform.runtime.sessions() as session:
        case_of = {external_id.split(":", 1)[1]: case_id for external_id, case_id
                   in session.execute(select(MessageRow.external_id, MessageRow.case_id))}
        assert case_of["r-3"] == case_of["r-1"] and case_of["r-4"] == case_of["r-2"] != case_of["r-1"]
        added = session.scalars(select(CaseEvent.data).where(CaseEvent.case_id == case_of["r-2"],
                                                             CaseEvent.kind == "message_added")).all()
    assert any("mentions cy, who opened this case" in str(data) for data in added), added


def test_cases_a_batch_opens_are_written_once_with_what_its_later_messages_changed(
        make_platform, receiver, database_url):
    """On SQLite a batch writes the cases it opens together, at its end: a later message of the same batch
    that joins one changes it in memory, and rows that refer to a case (an opt-out) find it written."""
    platform = make_platform(database_url=database_url, channels=client(receiver.url))
    assert platform.post_message(message("w-0", "zed", "My parcel is late.")).status_code == 202
    platform.work()
    for body in (message("w-1", "ann", "The toaster I ordered arrived with a scratch on its side.", "toaster-1"),
                 message("w-2", "ann", "And the crumb tray is missing too.", "toaster-1"),
                 message("w-3", "bob", "Unsubscribe me from your marketing emails, stop emailing me.")):
        assert platform.post_message(body).status_code == 202
    platform.work()

    with platform.runtime.sessions() as session:
        cases = session.scalars(select(Case).order_by(Case.id)).all()
        assert [case.id - cases[0].id for case in cases] == [0, 1, 2]
        _, toaster, unsubscribe = cases
        second = session.scalar(select(MessageRow).where(MessageRow.external_id == "default:w-2"))
        assert (toaster.message_count, toaster.last_message_at) == (2, second.received_at)
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == toaster.id).order_by(CaseEvent.seq)).all()
        assert [event.kind for event in events][:2] == ["opened", "message_added"]
        assert toaster.event_seq == len(events) and toaster.chain_head == events[-1].hash
        assert session.scalar(select(OptOut.case_id).where(OptOut.address == "default:bob")) == unsubscribe.id
    assert verify_chains(platform.runtime.sessions).broken == []


def test_a_verified_email_on_another_channel_finds_the_case_its_own_batch_opened(platform):
    """Who else has this verified email is asked of the store, so the cases the batch opened and kept in
    memory are written before it answers."""
    now = utcnow()
    by_mail, by_slack = (
        Message(id=f"01VERIFIED{n:016d}", channel=channel, external_id=f"v-{n}", text=text, sent_at=now,
                received_at=now, thread_key=thread, sender=Sender(channel=channel, handle=handle,
                                                                   email="ann@example.org", email_verified=True))
        for n, (channel, handle, text, thread) in enumerate([
            ("api", "ann", "My order 1182 never arrived", None),
            # A thread of its own: the sender's open case is not asked for, only the verified email.
            ("slack", "U024BE7LH", "Any news on my missing order?", "1355517523.000005")]))
    judge = default_router()
    with platform.runtime.sessions.begin() as session:
        for item in (by_mail, by_slack):
            session.add(RawPayload(id=item.id, idempotency_key=item.idempotency_key, channel=item.channel,
                                   received_at=now, content_type="application/json", body=b"{}"))
        session.flush()
        recorder = Recorder(session)
        window = timedelta(days=1)
        opened = recorder.record(by_mail, judge.route(by_mail, recorder.lookup), ack_target=None, ack_window=window)
        decision = judge.route(by_slack, recorder.lookup)
        joined = recorder.record(by_slack, decision, ack_target=None, ack_window=window)
        recorder.flush()
    assert decision.thread.how == "linked" and "verified email" in decision.thread.evidence
    assert joined.case_id == opened.case_id and opened.new_case and not joined.new_case
