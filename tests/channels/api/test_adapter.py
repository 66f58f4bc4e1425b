"""POST /api/messages against a real platform: tokens, limits, bad bodies, duplicates, stores going away."""

from __future__ import annotations

import json

import psycopg
import pytest
import requests
from sqlalchemy import func, select

from frontdesk.redis_server import EmbeddedRedis
from frontdesk.store.tables import Case, Delivery, MessageRow, RawPayload
from tests.test_end_to_end import URGENT, callback, oncall

ROUTINE = {"external_id": "r-1", "sender": {"handle": "bob", "email": "bob@example.org"},
           "text": "The parcel arrived late and the box was damaged."}


def count(platform, column, *where) -> int:
    with platform.services.sessions() as session:
        return session.scalar(select(func.count(column)).where(*where))


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer wrong-token", "Basic dGVzdDp0ZXN0"])
def test_bad_or_missing_token_is_401_and_keeps_nothing(platform, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = requests.post(f"{platform.url}/api/messages", json=ROUTINE, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert count(platform, RawPayload.id) == 0


def test_oversize_body_is_413_by_header_and_by_stream(platform):
    big = json.dumps({**ROUTINE, "text": "x" * 300_000}).encode()
    assert platform.post_message(big).status_code == 413

    def chunks():  # no Content-Length: the limit must hold on the stream itself
        for start in range(0, len(big), 65536):
            yield big[start:start + 65536]
    response = platform.http.post(f"{platform.url}/api/messages", data=chunks(), timeout=10)
    assert response.status_code == 413
    assert count(platform, RawPayload.id) == 0


def test_invalid_body_is_400_naming_the_field_and_quarantined(platform):
    response = platform.post_message({**ROUTINE, "sender": {"handle": "bob", "email": "nope"}})
    assert response.status_code == 400
    assert response.json() == {"error": "sender.email: String should match pattern '^[^@\\s]+@[^@\\s]+$'",
                               "field": "sender.email"}
    assert platform.post_message(b"{not json").status_code == 400
    with platform.services.sessions() as session:
        kept = session.scalars(select(RawPayload)).all()
    assert [(r.status, r.body) for r in kept] == [
        ("quarantined", json.dumps({**ROUTINE, "sender": {"handle": "bob", "email": "nope"}}).encode()),
        ("quarantined", b"{not json")]
    platform.work()
    assert count(platform, Case.id) == 0
    metrics = requests.get(f"{platform.url}/metrics", timeout=10).text
    assert 'frontdesk_messages_in_total{channel="api",result="quarantined"} 2.0' in metrics


def test_duplicate_delivery_creates_one_case_one_ack_one_page(make_platform, receiver):
    platform = make_platform(channels=callback(receiver.url), oncall=oncall(receiver.url))
    first = platform.post_message(URGENT)
    second = platform.post_message(URGENT)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    platform.work()
    third = platform.post_message(URGENT)  # a retry after routing
    assert third.json() == {"id": first.json()["id"], "duplicate": True}
    platform.work()
    assert count(platform, Case.id) == 1 and count(platform, MessageRow.id) == 1
    assert len(receiver.on("/ack")) == 1 and len(receiver.on("/page/dana")) == 1


def test_follow_up_threads_and_is_acknowledged_once_per_window(make_platform, receiver):
    platform = make_platform(channels=callback(receiver.url))
    platform.post_message({**ROUTINE, "thread_key": "order-1"})
    platform.post_message({**ROUTINE, "external_id": "r-2", "thread_key": "order-1", "text": "Any news?"})
    platform.post_message({**ROUTINE, "external_id": "r-3", "text": "Also, the invoice is wrong."})
    platform.post_message({**ROUTINE, "external_id": "r-4", "sender": {"handle": "eve"}, "text": "My refund is late."})
    platform.work()
    cases = platform.http.get(f"{platform.url}/api/cases").json()["cases"]
    # r-2 by its thread key, r-3 (no key) as the sender's open case; eve's is her own.
    assert sorted(c["message_count"] for c in cases) == [1, 3]
    assert len(receiver.on("/ack")) == 2  # one per case and sender, not one per message


def test_redis_down_answers_503_and_the_retry_lands_exactly_once(make_platform, tmp_path, receiver):
    own_redis = EmbeddedRedis(tmp_path / "own-redis").start()
    try:
        platform = make_platform(redis_url=own_redis.url, channels=callback(receiver.url))
        port = own_redis.port
        own_redis.stop()
        response = platform.post_message(ROUTINE)
        assert response.status_code == 503
        assert response.json()["error"].startswith("intake unavailable")
        assert response.headers["Retry-After"] == "5"
        own_redis = EmbeddedRedis(tmp_path / "own-redis", port=port).start()
        retry = platform.post_message(ROUTINE)
        assert retry.status_code == 202
        platform.work()
        platform.post_message(ROUTINE)
        platform.work()
        assert count(platform, Case.id) == 1 and count(platform, MessageRow.id) == 1
        assert len(receiver.on("/ack")) == 1
    finally:
        own_redis.stop()


def test_database_down_answers_503_and_the_retry_lands_exactly_once(make_platform, pg_url, receiver):
    platform = make_platform(database_url=pg_url, channels=callback(receiver.url))
    name = pg_url.rsplit("/", 1)[1]
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    try:
        response = platform.post_message(ROUTINE)
        assert response.status_code == 503
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert platform.post_message(ROUTINE).status_code == 202
    platform.work()
    assert count(platform, RawPayload.id) == 1 and count(platform, Case.id) == 1
    assert count(platform, Delivery.id, Delivery.status == "sent") == 1
    assert len(receiver.on("/ack")) == 1
