"""Acknowledgments claimed by the routing transaction: written 'sending' with the batch, sent right after its
commit without being read back, and still sent exactly once when a worker dies or a receiver is slow."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlalchemy import select, update

from frontdesk.models import Contact, Message, utcnow
from frontdesk.store.cases import record_opt_out
from frontdesk.store.recorder import Recorder
from frontdesk.store.tables import CaseEvent, Delivery, RawPayload
from tests.router.judging import default_router
from tests.workers.test_routing_batches import client
from tests.workers.test_routing_batches import message as api_message
from workers.sweeper import sweep

WINDOW = timedelta(days=1)
_count = iter(range(1_000_000))


def message(text: str, handle: str, name: str | None = None, thread_key: str | None = None) -> Message:
    number, now = next(_count), utcnow()
    return Message(id=f"01CLAIMED{number:017d}", channel="api", external_id=f"default:c-{number}",
                   sender=Contact(channel="api", handle=handle, name=name), text=text, thread_key=thread_key,
                   sent_at=now, received_at=now)


def record(platform, *routed, claimable=True, opted_out=()) -> tuple[dict[str, str], Recorder]:
    """Route and record messages in one transaction, as a batch does; the status of each acknowledgment."""
    judge = default_router()
    with platform.runtime.sessions.begin() as session:
        for handle in opted_out:
            record_opt_out(session, "api", handle, "test", None)
        for item in routed:
            session.add(RawPayload(id=item.id, idempotency_key=item.idempotency_key, channel="api",
                                   received_at=item.received_at, content_type="application/json", body=b"{}"))
        session.flush()
        recorder = Recorder(session)
        for item in routed:
            decision = judge.route(item, recorder.lookup)
            recorder.record(item, decision, ack_target="default", ack_window=WINDOW, ack_claimable=claimable)
        recorder.flush()
    with platform.runtime.sessions() as session:
        rows = session.execute(select(Delivery.key, Delivery.status, Delivery.attempts)).all()
    return {key: f"{status}/{attempts}" for key, status, attempts in rows}, recorder


def test_the_acknowledgment_of_a_case_the_batch_opens_is_claimed_with_what_rendering_needs(platform):
    urgent = message("The heater caught fire and the kitchen filled with smoke", handle="ann",
                     name="Ann Example")
    statuses, recorder = record(platform, urgent)
    assert statuses == {f"ack:{urgent.id}": "sending/1"}
    [claimed] = recorder.claimed
    assert claimed.delivery_id > 0 and claimed.sender == "api" and claimed.target == "default"
    assert claimed.case.urgency in ("critical", "high") and "safety" in claimed.case.categories
    assert any(reason["source"] == "rule" for reason in claimed.case.reasons)
    assert claimed.contact_name == "Ann Example" and claimed.message.text == urgent.text


def test_routing_leaves_pending_what_it_cannot_claim(platform):
    joined = [message("My order 1182 arrived broken", handle="bob", thread_key="order-1182"),
              message("And the invoice is wrong too", handle="bob", thread_key="order-1182")]
    statuses, _ = record(platform, *joined)
    assert statuses == {f"ack:{joined[0].id}": "pending/0"}  # its case changed again later in the batch

    quiet = message("Your app logs me out every day", handle="cat")
    assert record(platform, quiet, opted_out=["cat"])[0][f"ack:{quiet.id}"] == "pending/0"
    other = message("The lift has been out for a week", handle="dan")
    assert record(platform, other, claimable=False)[0][f"ack:{other.id}"] == "pending/0"


def test_a_claimed_acknowledgment_a_dead_worker_left_is_sent_once_by_the_sweeper(make_platform, receiver):
    platform = make_platform(channels=client(receiver.url))
    lost = message("The delivery driver threw my parcel over the fence", handle="eve")
    record(platform, lost)  # routed and committed; the worker dies before sending
    with platform.runtime.sessions.begin() as session:
        session.execute(update(Delivery).values(updated_at=utcnow() - timedelta(seconds=5)))
    sweep(platform.runtime)
    platform.work()

    [arrived] = receiver.on("/ack")
    assert arrived.headers["webhook-id"] == f"ack:{lost.id}"
    with platform.runtime.sessions() as session:
        assert session.scalars(select(Delivery.status)).all() == ["sent"]
        kinds = session.scalars(select(CaseEvent.kind).order_by(CaseEvent.id)).all()
    assert "delivery_outcome_unknown" in kinds and kinds[-1] == "delivered"


def test_a_slow_receiver_leaves_the_rest_to_the_sweeper_and_nothing_goes_twice(make_platform, receiver):
    platform = make_platform(channels=client(receiver.url), workers={"stuck_after": "2s"})
    receiver.delay = 0.25  # a chunk of 32 on 8 threads takes 1 s: past a quarter of stuck_after
    count = 40
    for index in range(count):
        assert platform.post_message(api_message(f"slow-{index}", f"person-{index}",
                                                 f"Order {index} never came.")).status_code == 202
    platform.work()
    first = len(receiver.on("/ack"))
    assert first == 32  # the first chunk; the other 8 were left 'sending'

    deadline = time.monotonic() + 30
    while len(receiver.on("/ack")) < count and time.monotonic() < deadline:
        time.sleep(0.5)
        sweep(platform.runtime)
        platform.work()
    webhook_ids = [item.headers["webhook-id"] for item in receiver.on("/ack")]
    assert len(webhook_ids) == len(set(webhook_ids)) == count
    assert {json.loads(item.body)["data"]["external_id"] for item in receiver.on("/ack")} == {
        f"default:slow-{index}" for index in range(count)}


def test_acknowledgments_written_before_a_merge_in_the_batch_are_still_known_to_it(platform):
    def mail(number: int, handle: str, subject: str, *refs: str) -> Message:
        now = utcnow()
        return Message(id=f"01MERGED{number:018d}", channel="email", external_id=f"<m{number}@x>",
                       own_ids=(f"m{number}@x",), thread_refs=refs, sender=Contact(channel="email", handle=handle),
                       subject=subject, text=f"Message {number} about the kettle that leaks.", sent_at=now,
                       received_at=now)

    statuses, recorder = record(platform, mail(1, "ann@example.com", "Kettle leaking"),
                                mail(2, "bob@example.com", "Re: Kettle leaking", "m3@x"),
                                mail(3, "ann@example.com", "Re: Kettle leaking", "m1@x"), claimable=False)
    assert len(statuses) == 2  # ann and bob, each acknowledged once in the merged case
    assert set(recorder.delivery_ids) == set(statuses)  # the merge flushed both before the batch's last flush

