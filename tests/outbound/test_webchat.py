"""WebchatSender against a real Redis and a migrated SQLite store: record, publish, results on failure."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import redis

from frontdesk.models import Contact, Message, Rendered
from frontdesk.sender import Sender, SenderContext
from frontdesk.store.db import make_engine, make_sessions, migrate
from frontdesk.store.tables import Case, Contact as ContactRow, Delivery
from frontdesk.store.transcripts import SENT_TEXT, live_channel
from outbound.webchat import WebchatSender

CONVERSATION = "Qm9vZ2llLXdvb2dpZS0xMj"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def settings(make_settings):
    return make_settings()


@pytest.fixture
def delivery_key(settings):
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    with make_sessions(engine).begin() as session:
        contact = ContactRow(name="Dana")
        session.add(contact)
        session.flush()
        case = Case(urgency="normal", channel="webchat", contact_id=contact.id)
        session.add(case)
        session.flush()
        session.add(Delivery(key="ack:01TESTMESSAGE", case_id=case.id, kind="ack", sender="webchat",
                             target=CONVERSATION, status="sending"))
    return "ack:01TESTMESSAGE"


def sender_for(settings, url: str) -> WebchatSender:
    return WebchatSender(None, SenderContext(settings=settings, redis=redis.Redis.from_url(url, socket_timeout=2)))


def message(channel="webchat", conversation=CONVERSATION) -> Message:
    return Message(id="01TESTMESSAGE", channel=channel, external_id=f"{conversation}:c1",
                   sender=Contact(channel=channel, handle=conversation), text="hi", sent_at=NOW, received_at=NOW,
                   reply_to={"conversation": conversation})


def stored_detail(settings, key) -> dict:
    with make_sessions(make_engine(settings.effective_database_url))() as session:
        return session.query(Delivery).filter_by(key=key).one().detail


def test_meets_the_sender_contract(settings, redis_url):
    sender = sender_for(settings, redis_url)
    assert isinstance(sender, Sender) and sender.slug == "webchat" and sender.resend_safe is True
    assert sender.reply_target(message()) == CONVERSATION
    assert sender.reply_target(message(channel="api")) is None
    assert sender.reply_target(message(conversation="dana@example.org")) is None


def test_records_the_text_then_publishes_it(settings, redis_url, delivery_key):
    subscriber = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe(live_channel("webchat", CONVERSATION))
    rendered = Rendered(text="We have received your message <b>FD-000001</b>\n", idempotency_key=delivery_key)
    result = sender_for(settings, redis_url).send(CONVERSATION, rendered)
    assert result.ok and result.provider_id == f"d:{delivery_key}"
    assert result.detail == "recorded=True; pushed to 1 server process(es)"
    assert stored_detail(settings, delivery_key)[SENT_TEXT] == "We have received your message <b>FD-000001</b>"
    published = [subscriber.get_message(timeout=2) for _ in range(3)]
    [frame] = [json.loads(item["data"]) for item in published if item]
    assert frame["type"] == "event"
    assert frame["event"]["id"] == f"d:{delivery_key}" and frame["event"]["kind"] == "ack"
    assert frame["event"]["text"] == "We have received your message <b>FD-000001</b>"


def test_sending_again_keeps_the_same_line(settings, redis_url, delivery_key):
    sender = sender_for(settings, redis_url)
    rendered = Rendered(text="first", idempotency_key=delivery_key)
    assert sender.send(CONVERSATION, rendered).provider_id == sender.send(CONVERSATION, rendered).provider_id


def test_redis_down_still_keeps_the_line_for_the_next_visit(settings, delivery_key):
    result = sender_for(settings, "redis://127.0.0.1:1/0").send(
        CONVERSATION, Rendered(text="kept", idempotency_key=delivery_key))
    assert result.status == "sent" and result.detail == "recorded; live push failed"
    assert stored_detail(settings, delivery_key)[SENT_TEXT] == "kept"


def test_nothing_recorded_and_redis_down_is_a_retryable_failure(settings):
    result = sender_for(settings, "redis://127.0.0.1:1/0").send(CONVERSATION, Rendered(text="lost"))
    assert result.status == "failed" and result.retryable


def test_store_down_is_a_retryable_failure(make_settings, redis_url, tmp_path):
    (tmp_path / "not-a-file").mkdir()
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'not-a-file'}")
    result = sender_for(settings, redis_url).send(CONVERSATION, Rendered(text="x", idempotency_key="ack:1"))
    assert result.status == "failed" and result.retryable and result.error.startswith("store unavailable")


@pytest.mark.parametrize("target", ["", "dana@example.org", "../../x", CONVERSATION + "x"])
def test_target_must_be_a_conversation_id(settings, redis_url, target):
    result = sender_for(settings, redis_url).send(target, Rendered(text="x"))
    assert result.status == "failed" and not result.retryable


def test_a_staff_reply_keeps_its_kind(settings, redis_url):
    subscriber = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe(live_channel("webchat", CONVERSATION))
    result = sender_for(settings, redis_url).send(CONVERSATION, Rendered(kind="reply", text="We are on it."))
    assert result.ok and result.detail == "recorded=False; pushed to 1 server process(es)"
    published = [subscriber.get_message(timeout=2) for _ in range(3)]
    [frame] = [json.loads(item["data"]) for item in published if item]
    assert frame["event"]["kind"] == "reply" and frame["event"]["text"] == "We are on it."
