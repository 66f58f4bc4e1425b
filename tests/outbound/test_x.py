"""outbound.x: replies and DMs through real tweepy against the fake X API; refusals become results."""

from __future__ import annotations

import pytest

from config.schema import Settings
from config.types import fill_secrets
from config.social import XSenderSettings
from frontdesk.models import Rendered
from frontdesk.sender import SenderContext
from outbound.x import XSender
from tests.fakes.x_api import FakeXApi, Fault, load_fixture

MENTION = "1380242525827530756"
AUTHOR = "1092963886909849600"


@pytest.fixture()
def fake():
    api = FakeXApi()
    api.add_page(load_fixture("mentions__expanded.json"))
    with api.serve() as server:
        api.url = server.url
        yield api


def sender_for(fake: FakeXApi, **overrides) -> XSender:
    data = {"api_base_url": fake.url, "timeout": "2s", **overrides}
    settings = XSenderSettings.model_validate(data)
    fill_secrets(settings, {"X_ACCESS_TOKEN": "user-token"})
    return XSender(settings, SenderContext(settings=Settings()))


def rendered(urgency: str = "normal") -> Rendered:
    return Rendered(text="Dear Reaper, about your order 12345 ...", kind="ack", idempotency_key=f"ack:{MENTION}",
                    reply_to={"tweet_id": MENTION, "author_id": AUTHOR},
                    meta={"case_ref": "FD-000042", "urgency": urgency})


def test_public_reply_goes_in_thread_with_reference_only(fake):
    result = sender_for(fake).send(MENTION, rendered())
    assert result.ok and result.provider_id == fake.posted[0]["id"]
    call = [c for c in fake.calls if c.method == "POST"][0]
    assert call.path == "/2/tweets"
    assert call.headers["Authorization"] == "Bearer user-token"
    assert call.body["reply"] == {"in_reply_to_tweet_id": MENTION}
    text = call.body["text"]
    assert "FD-000042" in text and "direct message" in text and len(text) <= 280
    assert "Reaper" not in text and "12345" not in text


def test_dm_mode_sends_the_rendered_text_privately(fake):
    result = sender_for(fake).send(MENTION, rendered("critical"))
    assert result.ok
    assert fake.calls[-1].path == f"/2/dm_conversations/with/{AUTHOR}/messages"
    assert fake.posted[0]["text"].startswith("Dear Reaper")


def test_dm_refused_is_a_final_failure(fake):
    fake.closed_dms.add(AUTHOR)
    result = sender_for(fake).send(MENTION, rendered("critical"))
    assert result.status == "failed" and not result.retryable and "403" in result.error


def test_silent_urgency_sends_nothing(fake):
    result = sender_for(fake).send(MENTION, rendered("low"))
    assert result.status == "skipped"
    assert not [c for c in fake.calls if c.method == "POST"]


def test_deleted_tweet_is_a_final_failure(fake):
    fake.gone_tweets.add(MENTION)
    result = sender_for(fake).send(MENTION, rendered())
    assert result.status == "failed" and not result.retryable
    assert "deleted" in result.error and "does not exist" in result.detail


def test_blocked_is_a_final_failure(fake):
    fake.blocked_by.add(AUTHOR)
    result = sender_for(fake).send(MENTION, rendered())
    assert result.status == "failed" and not result.retryable and result.error.startswith("HTTP 403")


def test_rate_limit_is_retryable_with_reset(fake):
    fake.faults.append(Fault("rate_limit", path="/2/tweets", reset_in=120))
    result = sender_for(fake).send(MENTION, rendered())
    assert result.status == "failed" and result.retryable
    assert result.detail.startswith("x-rate-limit-reset=")


def test_server_error_and_timeout_are_retryable(fake):
    fake.faults.append(Fault("status", path="/2/tweets", status=503, body={"title": "Service Unavailable"}))
    assert sender_for(fake).send(MENTION, rendered()).retryable
    fake.faults.append(Fault("stall", path="/2/tweets", seconds=3))
    result = sender_for(fake, timeout="0.5s").send(MENTION, rendered())
    assert result.retryable and result.error == "ReadTimeout"


def test_missing_token_fails_without_calling(fake):
    settings = XSenderSettings.model_validate({"api_base_url": fake.url})
    result = XSender(settings, SenderContext(settings=Settings())).send(MENTION, rendered())
    assert result.status == "failed" and "X_ACCESS_TOKEN" in result.error
    assert fake.calls == []
