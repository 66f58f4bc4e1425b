"""A parent arriving after its reply, on the real store: the two cases merge, nothing lost or acknowledged twice."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from frontdesk.models import Contact, Message
from frontdesk.store.tables import Case, CaseEvent, Delivery, MessageRow

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def mail(number: int, sender: str, subject: str, *refs: str, minutes: int = 0) -> Message:
    at = T0 + timedelta(minutes=minutes)
    return Message(id=f"m{number}", channel="email", external_id=f"<m{number}@x>", own_ids=(f"m{number}@x",),
                   thread_refs=refs, sender=Contact(channel="email", handle=sender, email=sender), subject=subject,
                   text=f"Message {number} about the kettle that leaks.", sent_at=at, received_at=at)


def merged_state(store):
    with store.sessions.begin() as session:
        cases = {case.id: (case.merged_into, case.message_count) for case in session.scalars(select(Case))}
        messages = {row.id: row.case_id for row in session.scalars(select(MessageRow))}
        acks = sorted((row.case_id, row.recipient) for row in session.scalars(
            select(Delivery).where(Delivery.kind == "ack")))
        actors = set(session.scalars(select(CaseEvent.actor).where(CaseEvent.kind.in_(("merged", "merged_into")))))
    return cases, messages, acks, actors


def test_parent_with_its_own_case_merges_the_earlier_reply_case_into_the_older_case(store):
    first, _ = store.route(mail(1, "ann@example.com", "Kettle leaking"), ack_target="ann@example.com")
    reply, _ = store.route(mail(2, "bob@example.com", "Re: Kettle leaking", "m3@x", minutes=5),
                           ack_target="bob@example.com")
    parent, decision = store.route(mail(3, "ann@example.com", "Re: Kettle leaking", "m1@x", minutes=3),
                                   ack_target="ann@example.com")
    assert reply != first and parent == first
    assert decision.thread.merge_case_ids == (reply,) and decision.thread.how == "parent_after_reply"
    merged = store.events(first, "merged")
    assert [event["case"] for event in merged] == [reply] and merged[0]["reason"] == decision.thread.evidence
    assert store.events(reply, "merged_into")[0]["case"] == first
    cases, messages, acks, actors = merged_state(store)
    assert cases[reply] == (first, 0) and cases[first] == (None, 3)
    assert messages == {"m1": first, "m2": first, "m3": first}
    assert len(acks) == 2 and {case_id for case_id, _ in acks} == {first}
    assert actors == {"router"}
    later, _ = store.route(mail(4, "bob@example.com", "Re: Kettle leaking", "m2@x", minutes=9),
                           ack_target="bob@example.com")
    assert later == first and len(merged_state(store)[2]) == 2


def test_when_the_reply_case_is_older_it_survives_and_the_parent_is_not_acknowledged_again(store):
    reply, _ = store.route(mail(2, "bob@example.com", "Re: Kettle leaking", "m3@x"), ack_target="bob@example.com")
    first, _ = store.route(mail(1, "ann@example.com", "Kettle leaking", minutes=1), ack_target="ann@example.com")
    parent, decision = store.route(mail(3, "ann@example.com", "Re: Kettle leaking", "m1@x", minutes=2),
                                   ack_target="ann@example.com")
    assert parent == reply < first and decision.thread.merge_case_ids == (first,)
    cases, messages, acks, _ = merged_state(store)
    assert cases[first][0] == reply and set(messages.values()) == {reply}
    assert len(acks) == 2 and {case_id for case_id, _ in acks} == {reply}
    assert store.events(reply, "acknowledgment_skipped")[0]["message_id"] == "m3"
