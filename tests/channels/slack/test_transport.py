"""`/slack/events` on a running platform: signatures, ssl_check, retries, bad input, intake and replies in thread."""

from __future__ import annotations

import json
import time

import pytest
import redis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from channels.slack.actions import PageActions
from channels.slack.transport import build_app
from config.slack import SlackChannelSettings
from config.types import fill_secrets
from frontdesk.errors import ConfigError
from frontdesk.intake import Intake
from frontdesk.metrics import Metrics
from frontdesk.store.db import make_engine, make_sessions, migrate
from frontdesk.store.tables import Case, MessageRow, RawPayload, ThreadKey
from tests.channels.slack.conftest import SIGNING_SECRET, fixture
from tests.fakes.slack_api import BOT_TOKEN, BOT_USER_ID, signed_headers


def mention(text: str = "my order arrived broken and nobody answers", event_id: str = "Ev111") -> dict:
    """bolt-python's app_mention fixture, mentioning the fake's bot user, with our text."""
    payload = fixture("event_callback__app_mention")
    payload["event_id"] = event_id
    payload["event"]["text"] = f"<@{BOT_USER_ID}> {text}"
    return payload


def count(platform, model, *where) -> int:
    with platform.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_mention_is_stored_routed_and_answered_in_its_thread(slack_platform, slack, fake_slack):
    response = slack.event(mention())
    assert response.status_code == 200
    assert count(slack_platform, RawPayload, RawPayload.idempotency_key == "slack:Ev111") == 1
    slack_platform.work()
    with slack_platform.services.sessions() as session:
        message = session.scalars(select(MessageRow)).one()
        assert (message.channel, message.text) == ("slack", "my order arrived broken and nobody answers")
        keys = session.scalars(select(ThreadKey.key).where(ThreadKey.case_id == message.case_id)).all()
        assert "C111:1595926230.009600" in keys  # the key its thread's replies carry
    (reply,) = fake_slack.calls_to("chat.postMessage")
    assert (reply.args["channel"], reply.args["thread_ts"]) == ("C111", "1595926230.009600")


def test_retries_and_repeated_event_ids_create_nothing_new(slack_platform, slack, fake_slack):
    assert slack.event(mention()).status_code == 200
    for attempt in ("1", "2", "3"):
        retried = slack.event(mention(), headers={"X-Slack-Retry-Num": attempt, "X-Slack-Retry-Reason": "http_timeout"})
        assert retried.status_code == 200
    slack_platform.work()
    assert slack.event(mention()).status_code == 200
    slack_platform.work()
    assert count(slack_platform, RawPayload) == 1
    assert count(slack_platform, MessageRow) == 1
    assert count(slack_platform, Case) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_events_are_taken_while_slack_cannot_tell_us_who_we_are(slack_platform, slack, fake_slack):
    fake_slack.fail_next("auth.test", "internal_error", status=500)
    assert slack.event(mention()).status_code == 200
    assert count(slack_platform, RawPayload, RawPayload.idempotency_key == "slack:Ev111") == 1
    own = fixture("event_callback__message_bot_user")  # our posts carry our bot_id, whatever auth.test says
    own["event"]["channel"], own["event"]["channel_type"] = "D111", "im"
    assert slack.event(own).status_code == 200
    slack_platform.work()
    assert count(slack_platform, RawPayload, RawPayload.status == "ignored") == 1
    assert len(fake_slack.calls_to("auth.test")) == 1


@pytest.mark.parametrize("tamper", ["secret", "body", "signature", "missing"])
def test_a_bad_signature_is_refused_and_nothing_is_kept(slack_platform, slack, tamper):
    body = b'{"type": "event_callback", "event_id": "EvForged", "event": {"type": "app_mention"}}'
    if tamper == "secret":
        response = slack.post(body, secret="not-the-secret")
    elif tamper == "body":
        response = slack.post(body, headers=signed_headers(SIGNING_SECRET, body.replace(b"Forged", b"Other")))
    elif tamper == "signature":
        response = slack.post(body, headers={"X-Slack-Signature": "v0=" + "0" * 64})
    else:
        response = slack.post(body, headers={"X-Slack-Signature": ""})
    assert response.status_code == 401
    assert count(slack_platform, RawPayload) == 0


@pytest.mark.parametrize(("age", "status"), [(301, 401), (-301, 401), (3600, 401), (295, 200), (-295, 200)])
def test_the_timestamp_must_be_within_five_minutes(slack_platform, slack, age, status):
    response = slack.event(mention(event_id=f"EvAge{age}"), timestamp=time.time() - age)
    assert response.status_code == status
    assert count(slack_platform, RawPayload) == (1 if status == 200 else 0)


def test_a_timestamp_that_is_not_a_number_is_refused(slack_platform, slack):
    response = slack.event(mention(), headers={"X-Slack-Request-Timestamp": "yesterday"})
    assert response.status_code == 401


def test_the_unsigned_ssl_check_is_answered(slack_platform):
    import requests

    response = requests.post(f"{slack_platform.url}/slack/events", data=b"token=random&ssl_check=1",
                             headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert (response.status_code, response.text) == (200, "")
    assert count(slack_platform, RawPayload) == 0


def test_url_verification_echoes_the_challenge(slack_platform, slack):
    response = slack.event(fixture("url_verification"))
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    assert count(slack_platform, RawPayload) == 0


@pytest.mark.parametrize(("body", "status"), [
    (b"{not json", 400), (b"[1, 2]", 400), (b"null", 400), (b"payload=%7Bnot", 400), (b"\xff\xfe\xfd", 400),
])
def test_bodies_that_are_not_objects_are_refused(slack_platform, slack, body, status):
    content_type = "application/x-www-form-urlencoded" if body.startswith(b"payload") else "application/json"
    assert slack.post(body, content_type=content_type).status_code == status


def test_a_huge_body_is_refused_before_it_is_read(slack_platform, slack):
    payload = mention(text="x" * 600_000)
    assert slack.event(payload).status_code == 413
    assert count(slack_platform, RawPayload) == 0


def test_events_we_ignore_are_kept_and_counted_but_open_nothing(slack_platform, slack, fake_slack):
    for name in ("event_callback__message_changed", "event_callback__reaction_added", "event_callback__message_bot_message"):
        payload = fixture(name)
        payload["event_id"] = f"Ev-{name}"
        assert slack.event(payload).status_code == 200
    slack_platform.work()
    assert count(slack_platform, RawPayload, RawPayload.status == "ignored") == 3
    assert count(slack_platform, Case) == 0
    assert fake_slack.calls_to("chat.postMessage") == []


def test_an_event_without_event_id_is_quarantined(slack_platform, slack):
    payload = mention()
    del payload["event_id"]
    assert slack.event(payload).status_code == 200
    assert count(slack_platform, RawPayload, RawPayload.status == "quarantined") == 1


def test_a_direct_message_thread_continues_its_case(slack_platform, slack, fake_slack):
    first = fixture("event_callback__message_im")
    first["event"]["text"] = "the replacement charger you sent is also broken"
    assert slack.event(first).status_code == 200
    reply = fixture("event_callback__message_im")
    reply["event_id"], reply["event"]["ts"] = "Ev112", "1610261700.000200"
    reply["event"]["thread_ts"] = first["event"]["ts"]
    reply["event"]["text"] = "still waiting for an answer"
    assert slack.event(reply).status_code == 200
    slack_platform.work()
    assert count(slack_platform, Case) == 1
    assert count(slack_platform, MessageRow) == 2


def test_lines_of_a_direct_message_are_one_case_and_one_acknowledgment(slack_platform, slack, fake_slack):
    for number, text in enumerate(["hi", "my order 1182 is two weeks late", "and nobody answers the phone"]):
        line = fixture("event_callback__message_im")
        line["event_id"], line["event"]["ts"] = f"Ev12{number}", f"16102617{number}0.000100"
        line["event"]["text"] = text
        assert slack.event(line).status_code == 200
    slack_platform.work()
    assert count(slack_platform, Case) == 1
    assert count(slack_platform, MessageRow) == 3
    assert len([call for call in fake_slack.calls_to("chat.postMessage") if call.args["channel"] == "D111"]) == 1


def test_report_as_complaint_opens_a_case_for_the_author_once(slack_platform, slack, fake_slack):
    report = fixture("message_action__report")
    report["message"]["text"] = "I was charged twice for my order and want a refund"
    assert slack.interaction(report).status_code == 200
    again = dict(report, trigger_id="111.222.yyy", user={"id": "W333", "name": "someone-else"})
    assert slack.interaction(again).status_code == 200
    slack_platform.work()
    with slack_platform.services.sessions() as session:
        (message,) = session.scalars(select(MessageRow)).all()
        assert message.text == "I was charged twice for my order and want a refund"
        assert message.reply_to["reported_by"] == "W111"
    notices = [call.args["user"] for call in fake_slack.calls_to("chat.postEphemeral")]
    assert sorted(notices) == ["W111", "W333"]
    (reply,) = [call for call in fake_slack.calls_to("chat.postMessage") if call.args["channel"] == "C111"]
    assert (reply.args["channel"], reply.args["thread_ts"]) == ("C111", "1583636382.000300")


def test_the_app_refuses_to_start_without_a_bot_token():
    settings = SlackChannelSettings(enabled=True)
    with pytest.raises(ConfigError, match="signing_secret"):
        build_app(settings, None, None)
    fill_secrets(settings, {"SLACK_SIGNING_SECRET": "s3cret"})
    with pytest.raises(ConfigError, match="bot_token"):
        build_app(settings, None, None)


async def test_intake_down_answers_503_so_slack_retries(tmp_path, fake_slack):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    migrate(engine)
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    intake = Intake(make_sessions(engine), dead, Metrics(dead))
    settings = SlackChannelSettings(enabled=True, api_url=fake_slack.base_url)
    fill_secrets(settings, {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN})
    events = build_app(settings, intake.accept, PageActions(None, make_sessions(engine), dead))
    app = web.Application()
    app.router.add_post("/slack/events", events.handle)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        body = json.dumps(mention()).encode()
        response = await client.post("/slack/events", data=body, headers=signed_headers(SIGNING_SECRET, body))
        assert response.status == 503
        assert response.headers["Retry-After"] == "5"


def test_a_shortcut_without_channel_or_message_is_quarantined(slack_platform, slack):
    report = fixture("message_action__report")
    report["channel"], report["message"] = "C111", "not an object"  # variant: a shape Slack never sends
    assert slack.interaction(report).status_code == 200
    assert count(slack_platform, RawPayload, RawPayload.status == "quarantined") == 1
