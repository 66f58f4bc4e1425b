"""outbound.mastodon: replies through real Mastodon.py against the fake instance."""

from __future__ import annotations

import pytest

from config.schema import Settings
from config.types import fill_secrets
from config.social import MastodonSenderSettings
from frontdesk.models import Rendered
from frontdesk.sender import SenderContext
from outbound.mastodon import MastodonSender
from tests.fakes.mastodon_api import FakeMastodonApi, load_fixture
from tests.fakes.x_api import Fault

STATUS = "109440144213643619"


@pytest.fixture()
def fake():
    api = FakeMastodonApi()
    api.add_notifications(load_fixture("notifications__mention_and_follow.json"))
    with api.serve() as server:
        api.url = server.url
        yield api


def sender_for(fake: FakeMastodonApi) -> MastodonSender:
    settings = MastodonSenderSettings.model_validate({"api_base_url": fake.url, "timeout": "2s"})
    fill_secrets(settings, {"MASTODON_ACCESS_TOKEN": "tok"})
    return MastodonSender(settings, SenderContext(settings=Settings()))


def rendered(urgency: str = "normal", key: str = "ack:m1") -> Rendered:
    return Rendered(text="Dear admin, about your order 12345", idempotency_key=key,
                    reply_to={"status_id": STATUS, "acct": "admin", "visibility": "public"},
                    meta={"case_ref": "FD-000007", "urgency": urgency})


def test_public_reply_mentions_the_author_and_only_the_reference(fake):
    result = sender_for(fake).send(STATUS, rendered())
    assert result.ok
    posted = fake.posted[0]
    assert posted["in_reply_to_id"] == STATUS and posted["visibility"] == "unlisted"
    assert posted["text"].startswith("@admin ") and "FD-000007" in posted["text"] and "12345" not in posted["text"]
    assert fake.calls[-1].headers["Idempotency-Key"] == "ack:m1"


def test_resend_with_same_key_posts_once(fake):
    sender = sender_for(fake)
    first, second = sender.send(STATUS, rendered()), sender.send(STATUS, rendered())
    assert first.provider_id == second.provider_id and len(fake.posted) == 1


def test_dm_mode_posts_a_direct_status(fake):
    result = sender_for(fake).send(STATUS, rendered("critical"))
    assert result.ok and fake.posted[0]["visibility"] == "direct"
    assert fake.posted[0]["text"].startswith("@admin Dear admin")


def test_deleted_status_is_final_and_rate_limit_retryable(fake):
    deleted = sender_for(fake).send("999", rendered(key="ack:m2"))
    assert deleted.status == "failed" and not deleted.retryable and "404" in deleted.error
    fake.faults.append(Fault("rate_limit", path="/api/v1/statuses"))
    limited = sender_for(fake).send(STATUS, rendered(key="ack:m3"))
    assert limited.status == "failed" and limited.retryable


def test_refusal_is_final(fake):
    fake.faults.append(Fault("status", path="/api/v1/statuses", status=422, body={"error": "Validation failed"}))
    result = sender_for(fake).send(STATUS, rendered(key="ack:m4"))
    assert result.status == "failed" and not result.retryable and result.error == "HTTP 422: refused"
