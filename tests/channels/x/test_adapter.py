"""The X channel end to end on loopback: the platform polls the fake X API, routes, indexes and replies."""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select

from frontdesk.mentions.store import Mention
from frontdesk.store.tables import Delivery
from tests.fakes.x_api import UNAUTHORIZED, FakeXApi, Fault

ANN = {"id": "42", "name": "Ann Example", "username": "ann_example"}
BOT = {"id": "77", "name": "Reply Bot", "username": "replybot"}


@pytest.fixture()
def fake():
    api = FakeXApi()
    with api.serve() as server:
        api.url = server.url
        yield api


def x_platform(make_platform, fake, **outbound):
    return make_platform(
        channels={"x": {"enabled": True, "api_base_url": fake.url, "poll_interval": "0.2s", "timeout": "2s"}},
        outbound={"x": {"api_base_url": fake.url, "timeout": "2s", **outbound}},
        environ={"X_BEARER_TOKEN": "read-token", "X_ACCESS_TOKEN": "write-token"},
    )


def settle(platform, fake, count: int, timeout: float = 20) -> None:
    """Wait until `count` mentions were read and routed (bounded), then drain the queues."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        platform.work()
        with platform.services.sessions() as session:
            if len(session.scalars(select(Mention.id)).all()) >= count:
                platform.work()
                return
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} mentions indexed in {timeout}s")


def mentions(platform) -> dict[str, Mention]:
    with platform.services.sessions() as session:
        return {row.external_id: row for row in session.scalars(select(Mention))}


def deliveries(platform) -> list[Delivery]:
    with platform.services.sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def test_complaint_gets_one_public_reply_and_praise_is_only_indexed(make_platform, fake):
    complaint = fake.add_mention("@TweepyDev my order arrived broken, I want a refund", ANN)
    praise = fake.add_mention("@TweepyDev thank you so much, great service", ANN | {"id": "43"})
    platform = x_platform(make_platform, fake)
    settle(platform, fake, 2)

    indexed = mentions(platform)
    assert indexed[complaint["id"]].case_id is not None and indexed[complaint["id"]].sentiment_label == "negative"
    assert indexed[praise["id"]].case_id is None and indexed[praise["id"]].urgency == "low"
    assert indexed[praise["id"]].sentiment_label == "positive"
    assert [(p["referenced_tweets"][0]["id"]) for p in fake.posted] == [complaint["id"]]
    reference = f"FD-{indexed[complaint['id']].case_id:06d}"
    assert reference in fake.posted[0]["text"] and "refund" not in fake.posted[0]["text"]
    cases = platform.http.get(f"{platform.url}/api/cases").json()["cases"]
    assert len(cases) == 1


def test_a_reply_to_our_reply_is_not_answered(make_platform, fake):
    complaint = fake.add_mention("@TweepyDev the app keeps crashing, useless", ANN)
    platform = x_platform(make_platform, fake)
    settle(platform, fake, 1)
    ours = fake.posted[0]
    # Another account's bot answering our reply, in words that would otherwise be acknowledged: only the
    # loop guard stops it.
    fake.add_mention("@TweepyDev Sorry to hear that your order arrived broken and the refund failed again! "
                     "Tell us more.", BOT,
                     conversation_id=complaint["conversation_id"], in_reply_to_user_id=fake.me["id"],
                     referenced_tweets=[{"type": "replied_to", "id": ours["id"]}])
    settle(platform, fake, 2)
    assert len(fake.posted) == 1
    skipped = [d for d in deliveries(platform) if d.status == "skipped"]
    assert [d.error for d in skipped] == ["a reply to our own post (loop guard)"]


def test_hourly_cap_holds(make_platform, fake):
    authors = [{"id": str(100 + i), "name": f"Customer {i}", "username": f"customer{i}"} for i in range(4)]
    for i, author in enumerate(authors):
        fake.add_mention(f"@TweepyDev parcel {i} is missing, terrible", author)
    platform = x_platform(make_platform, fake, hourly_cap=2)
    settle(platform, fake, 4)
    outcomes = sorted((d.status, d.error or "") for d in deliveries(platform))
    assert outcomes == [("sent", ""), ("sent", ""), ("skipped", "hourly cap of 2 replies reached"),
                        ("skipped", "hourly cap of 2 replies reached")]
    assert len(fake.posted) == 2


def test_a_rejected_reply_is_recorded_on_the_case(make_platform, fake):
    fake.add_mention("@TweepyDev charged twice for one order, not happy", ANN)
    fake.faults.append(Fault("status", path="/2/tweets", status=400, body={
        "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
        "errors": [{"message": "The `reply.in_reply_to_tweet_id` query parameter value [1] does not exist"}]}))
    platform = x_platform(make_platform, fake)
    settle(platform, fake, 1)
    [delivery] = deliveries(platform)
    assert (delivery.status, delivery.error) == ("failed", "HTTP 400: tweet deleted or invalid")
    detail = platform.http.get(f"{platform.url}/api/cases/{delivery.case_id}").json()
    failed = [e for e in detail["events"] if e["kind"] == "delivery_failed"]
    assert len(failed) == 1 and failed[0]["data"]["will_retry"] is False


def test_a_kind_word_in_a_thread_with_a_case_joins_the_case(make_platform, fake):
    complaint = fake.add_mention("@TweepyDev my order arrived broken", ANN)
    platform = x_platform(make_platform, fake)
    settle(platform, fake, 1)
    fake.add_mention("@TweepyDev thank you so much, great service", ANN, conversation_id=complaint["conversation_id"])
    settle(platform, fake, 2)
    rows = mentions(platform)
    assert len({row.case_id for row in rows.values()}) == 1 and None not in {row.case_id for row in rows.values()}
    assert len(fake.posted) == 1


def test_protected_and_opted_out_authors_get_no_public_reply(make_platform, fake):
    fake.add_mention("@TweepyDev my parcel is missing, terrible", ANN | {"protected": True})
    fake.add_mention("@TweepyDev unsubscribe me, your service is broken", BOT)
    platform = x_platform(make_platform, fake)
    settle(platform, fake, 2)
    assert fake.posted == []
    reasons = sorted(d.error for d in deliveries(platform))
    assert reasons == ["author is protected", "recipient opted out"]


def test_a_revoked_token_shows_in_healthz_and_metrics_while_the_rest_serves(make_platform, fake):
    fake.faults.extend(Fault("status", path="/2/users/", status=401, body=UNAUTHORIZED) for _ in range(1000))
    platform = make_platform(
        channels={"x": {"enabled": True, "api_base_url": fake.url, "poll_interval": "0.2s", "error_backoff": "0.1s",
                        "timeout": "2s"}},
        environ={"X_BEARER_TOKEN": "revoked-token"})
    deadline = time.monotonic() + 20
    report = {}
    while not str(report.get("channels", {}).get("x", "")).startswith("failing") and time.monotonic() < deadline:
        time.sleep(0.2)
        report = requests.get(f"{platform.url}/healthz", timeout=10).json()
    assert report["channels"]["x"].startswith("failing: mentions: Unauthorized, ")
    assert report["status"] == "degraded" and report["channels"]["api"] == "running"
    metrics = requests.get(f"{platform.url}/metrics", timeout=10).text
    assert 'frontdesk_channel_up{channel="x"} 0.0' in metrics
    assert platform.post_message({"external_id": "still", "sender": {"handle": "zoe"}, "text": "Hi"}).status_code == 202
