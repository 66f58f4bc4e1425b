"""frontdesk/store/transcripts.py on a migrated SQLite store: what a conversation's transcript holds, in order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from frontdesk.store.db import make_engine, make_sessions, migrate
from frontdesk.store.tables import Case, Contact, Delivery, MessageRow, RawPayload, ThreadKey
from frontdesk.store.transcripts import SENT_TEXT, record_sent_text, transcript

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def sessions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    migrate(engine)
    return make_sessions(engine)


def add_message(session, case_id, contact_id, message_id, thread_key, text, minutes):
    at = T0 + timedelta(minutes=minutes)
    session.add(RawPayload(id=message_id, idempotency_key=f"webchat:{thread_key}:{message_id}", channel="webchat",
                           received_at=at, content_type="application/json", body=b"{}", status="routed"))
    session.flush()
    session.add(MessageRow(id=message_id, idempotency_key=f"webchat:{thread_key}:{message_id}", case_id=case_id,
                           contact_id=contact_id, channel="webchat", external_id=f"{thread_key}:{message_id}",
                           text=text, thread_key=thread_key, sent_at=at, received_at=at, urgency="normal"))


@pytest.fixture
def case(sessions):
    with sessions.begin() as session:
        contact = Contact(name="Dana")
        session.add(contact)
        session.flush()
        case = Case(urgency="normal", channel="webchat", contact_id=contact.id)
        session.add(case)
        session.flush()
        session.add(ThreadKey(channel="webchat", key="conv-a", case_id=case.id))
        add_message(session, case.id, contact.id, "01A", "conv-a", "first", 0)
        add_message(session, case.id, contact.id, "01C", "conv-a", "third", 2)
        add_message(session, case.id, contact.id, "01X", "conv-b", "another conversation", 1)
        for key, target in (("ack:01A", "conv-a"), ("ack:unsent", "conv-a"), ("ack:01X", "conv-b")):
            session.add(Delivery(key=key, case_id=case.id, kind="ack", sender="webchat", target=target))
        session.add(Delivery(key="page:1", case_id=case.id, kind="page", sender="slack", target="conv-a"))
        return case.id


def test_lines_of_one_conversation_in_time_order(sessions, case):
    with sessions.begin() as session:
        assert record_sent_text(session, "ack:01A", "We got it", T0 + timedelta(minutes=1))
        assert record_sent_text(session, "ack:01X", "Other ack", T0 + timedelta(minutes=1))
        assert record_sent_text(session, "page:1", "a page", T0 + timedelta(minutes=1))
    with sessions() as session:
        lines = transcript(session, "webchat", "conv-a", "conv-a", 10)
    assert [(line.id, line.kind, line.text) for line in lines] == [
        ("m:01A", "inbound", "first"), ("d:ack:01A", "ack", "We got it"), ("m:01C", "inbound", "third")]
    assert lines[0].external_id == "conv-a:01A"


def test_limit_keeps_the_latest(sessions, case):
    with sessions.begin() as session:
        record_sent_text(session, "ack:01A", "We got it", T0 + timedelta(minutes=1))
    with sessions() as session:
        assert [line.id for line in transcript(session, "webchat", "conv-a", "conv-a", 2)] == ["d:ack:01A", "m:01C"]


def test_recording_keeps_other_detail_and_unknown_keys_record_nothing(sessions, case):
    with sessions.begin() as session:
        session.query(Delivery).filter_by(key="ack:01A").one().detail = {"template": "x"}
    with sessions.begin() as session:
        assert record_sent_text(session, "ack:01A", "text", T0)
        assert not record_sent_text(session, "ack:missing", "text", T0)
    with sessions() as session:
        detail = session.query(Delivery).filter_by(key="ack:01A").one().detail
    assert detail["template"] == "x" and detail[SENT_TEXT] == "text"


def test_unknown_conversation_is_empty(sessions, case):
    with sessions() as session:
        assert transcript(session, "webchat", "conv-z", "conv-z", 10) == []
