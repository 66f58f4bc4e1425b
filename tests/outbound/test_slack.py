"""SlackSender against the fake Slack Web API: thread replies, paging DMs, in-place updates, errors, escaping."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from slack_sdk import WebClient

from config.slack import SlackSenderSettings
from frontdesk.models import Contact, Message, Rendered
from frontdesk.sender import Sender, SenderContext, UpdatingSender
from outbound.slack import ACTION_IDS, SlackSender, escape_mrkdwn, page_blocks
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackApi

THREAD = "C111:1595926230.009600"
HOSTILE = [
    "<!everyone> look at this",
    "<!channel> <!here> <@U0BOSS> ping",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<https://evil.example/login|Open your case>",
    "Tom &amp; Jerry & <b>bold</b>",
]


@pytest.fixture
def fake():
    with FakeSlackApi() as api:
        yield api


@pytest.fixture
def sender(fake):
    settings = SlackSenderSettings(api_url=fake.base_url, timeout="5s")
    return SlackSender(settings, client=WebClient(token=BOT_TOKEN, base_url=fake.base_url, timeout=5))


def page(text="Smoke coming out of the charger", **meta) -> Rendered:
    base = {"case_id": "42", "case_ref": "FD-42", "urgency": "critical",
            "reasons": "rule safety.danger-to-life: smoke | model urgency 0.93", "case_url": "http://127.0.0.1:8080/cases/42",
            "person": "dana"}
    return Rendered(text=text, kind="page", meta={**base, **meta})


def mrkdwn_texts(blocks: list[dict]) -> list[str]:
    found = []
    for block in blocks:
        if block.get("text", {}).get("type") == "mrkdwn":
            found.append(block["text"]["text"])
        found += [field["text"] for field in block.get("fields", []) + block.get("elements", []) if field.get("type") == "mrkdwn"]
    return found


def test_slack_sender_meets_both_protocols(sender):
    assert isinstance(sender, Sender)
    assert isinstance(sender, UpdatingSender)


def test_acknowledgment_is_a_reply_in_the_thread(fake, sender):
    result = sender.send(THREAD, Rendered(text="Thanks, we have your complaint (FD-42)."))
    assert result.ok and result.provider_id.startswith("C111:")
    (call,) = fake.calls_to("chat.postMessage")
    assert call.args["channel"] == "C111"
    assert call.args["thread_ts"] == "1595926230.009600"
    assert call.args["text"] == "Thanks, we have your complaint (FD-42)."
    assert call.args["unfurl_links"] is False and "blocks" not in call.args
    assert call.token == BOT_TOKEN


def test_page_is_a_direct_message_with_summary_link_reasons_and_buttons(fake, sender):
    result = sender.send("U0DANA", page())
    assert result.ok
    assert fake.calls_to("conversations.open")[0].args["users"] == "U0DANA"
    (call,) = fake.calls_to("chat.postMessage")
    assert call.args["channel"] == "D0DANA"
    assert result.provider_id.startswith("D0DANA:")
    blocks = call.args["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "CRITICAL complaint · case FD-42"}}
    texts = "\n".join(mrkdwn_texts(blocks))
    assert "Smoke coming out of the charger" in texts
    assert "*Urgency*\ncritical" in texts
    assert "<http://127.0.0.1:8080/cases/42|FD-42>" in texts
    assert "• rule safety.danger-to-life: smoke\n• model urgency 0.93" in texts
    (actions,) = [block for block in blocks if block["type"] == "actions"]
    assert [(b["action_id"], b["value"]) for b in actions["elements"]] == [
        (ACTION_IDS["acknowledge"], "42"), (ACTION_IDS["escalate"], "42"), (ACTION_IDS["resolve"], "42")]
    assert "critical complaint, case FD-42" == call.args["text"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_nothing_a_visitor_wrote_can_ping_or_link(fake, sender, hostile):
    sender.send(THREAD, Rendered(text=hostile))
    sender.send("U0DANA", page(text=hostile, reasons=hostile, case_ref=hostile, status="acknowledged",
                               acknowledged_by=hostile, acknowledged_at="2026-11-23T14:02:00+00:00"))
    ack, paged = fake.calls_to("chat.postMessage")
    assert "<" not in ack.args["text"] and ">" not in ack.args["text"]
    own_link = re.compile(r"<http://127\.0\.0\.1:8080/cases/42\|[^<>]*>|<!date\^\d+\^\{time\}\|14:02 UTC>")
    for text in mrkdwn_texts(paged.args["blocks"]) + [paged.args["text"]]:
        outside_our_link = own_link.sub("", text)
        assert "<" not in outside_our_link and ">" not in outside_our_link


def test_everyone_is_shown_escaped():
    assert escape_mrkdwn("<!everyone> & <@U1>") == "&lt;!everyone&gt; &amp; &lt;@U1&gt;"


def test_long_text_is_cut_without_splitting_an_entity():
    cut = escape_mrkdwn("a" * 2997 + "<<<<", limit=3000)
    assert len(cut) <= 3000 and cut.endswith("a…")
    blocks = page_blocks(page(text="x" * 10_000))
    assert all(len(text) <= 3000 for text in mrkdwn_texts(blocks))


def test_update_rewrites_the_page_in_place(fake, sender):
    sent = sender.send("U0DANA", page())
    channel, ts = sent.provider_id.split(":")
    acknowledged = page(status="acknowledged", acknowledged_by="Dana", acknowledged_at="2026-11-23T14:02:31.5+00:00")
    result = sender.update("U0DANA", sent.provider_id, acknowledged.model_copy(update={"kind": "status"}))
    assert result.ok and result.provider_id == sent.provider_id
    (call,) = fake.calls_to("chat.update")
    assert (call.args["channel"], call.args["ts"]) == (channel, ts)
    shown = fake.message(channel, ts)
    epoch = int(datetime(2026, 11, 23, 14, 2, 31, 500000, tzinfo=timezone.utc).timestamp())
    line = f"Acknowledged by *Dana* at <!date^{epoch}^{{time}}|14:02 UTC>"
    assert line in "\n".join(mrkdwn_texts(shown["blocks"]))
    assert line in shown["text"]
    (actions,) = [block for block in shown["blocks"] if block["type"] == "actions"]
    assert [b["action_id"] for b in actions["elements"]] == [ACTION_IDS["resolve"]]
    sender.update("U0DANA", sent.provider_id, page(status="resolved", acknowledged_by="Dana",
                                                   acknowledged_at="2026-11-23T14:02:31+00:00"))
    resolved = fake.message(channel, ts)
    assert not [block for block in resolved["blocks"] if block["type"] == "actions"]
    assert "Resolved · Acknowledged by *Dana*" in "\n".join(mrkdwn_texts(resolved["blocks"]))


def test_reasons_joined_by_bars_are_listed():
    blocks = page_blocks(page(reasons="safety rule: smoke | model score 0.93"))
    assert "*Why*\n• safety rule: smoke\n• model score 0.93" in mrkdwn_texts(blocks)


@pytest.mark.parametrize(("error", "status", "retryable"), [
    ("ratelimited", 429, True),
    ("internal_error", 503, True),
    ("fatal_error", 200, True),
    ("channel_not_found", 200, False),
    ("not_in_channel", 200, False),
    ("invalid_auth", 200, False),
])
def test_slack_errors_become_delivery_results(fake, sender, error, status, retryable):
    fake.fail_next("chat.postMessage", error, status=status, retry_after=7 if status == 429 else None)
    result = sender.send(THREAD, Rendered(text="hello"))
    assert (result.status, result.error, result.retryable) == ("failed", error, retryable)
    if status == 429:
        assert "retry after 7s" in result.detail


def test_an_update_of_a_vanished_message_fails_for_good(fake, sender):
    result = sender.update("U0DANA", "D0DANA:1595926230.009600", page())
    assert (result.status, result.error, result.retryable) == ("failed", "message_not_found", False)


def test_bad_targets_and_provider_ids_are_refused_without_a_call(fake, sender):
    assert sender.send("#general", Rendered(text="x")).error == "bad_target"
    assert sender.send("C111:not-a-ts", Rendered(text="x")).error == "bad_target"
    assert sender.update("U0DANA", "garbage", page()).error == "bad_provider_id"
    assert fake.calls == []


def test_a_server_that_went_away_is_a_retryable_failure():
    with FakeSlackApi() as gone:
        url = gone.base_url
    sender = SlackSender(SlackSenderSettings(api_url=url), client=WebClient(token=BOT_TOKEN, base_url=url, timeout=2, retry_handlers=[]))
    result = sender.send(THREAD, Rendered(text="hello"))
    assert result.status == "failed" and result.retryable


def test_reply_target_only_for_slack_threads(sender):
    now = datetime.now(timezone.utc)
    message = Message(id="m1", channel="slack", external_id="Ev1", sender=Contact(channel="slack", handle="W222"),
                      text="hi", sent_at=now, received_at=now,
                      reply_to={"channel": "C111", "thread_ts": "1595926230.009600", "ts": "1595926230.009600"})
    assert sender.reply_target(message) == THREAD
    email = message.model_copy(update={"channel": "email", "reply_to": {}})
    assert sender.reply_target(email) is None


@pytest.fixture
def broadcasting(fake, redis_url):
    """A sender with an incident channel for critical cases, its state in the session's Redis."""
    settings = SlackSenderSettings(api_url=fake.base_url, incident_channel="C0INCIDENT", broadcast_urgencies=["critical"])
    context = SenderContext(settings=None, redis=redis.Redis.from_url(redis_url))
    return SlackSender(settings, context, client=WebClient(token=BOT_TOKEN, base_url=fake.base_url, timeout=5))


def incident_posts(fake) -> list:
    return [call for call in fake.calls_to("chat.postMessage") if call.args["channel"] == "C0INCIDENT"]


def test_an_urgent_case_is_posted_once_in_the_incident_channel_and_kept_current(fake, broadcasting):
    first = broadcasting.send("U0DANA", page())
    second = broadcasting.send("U0SAM", page(person="sam"))
    assert first.ok and second.ok
    (post,) = incident_posts(fake)
    assert [b["action_id"] for b in post.args["blocks"] if b["type"] == "actions" for b in b["elements"]] == list(ACTION_IDS.values())
    acknowledged = page(status="acknowledged", acknowledged_by="Sam", acknowledged_at="2026-11-23T14:02:00+00:00")
    for sent in (first, second):
        assert broadcasting.update("U0DANA", sent.provider_id, acknowledged).ok
    incident_updates = [call for call in fake.calls_to("chat.update") if call.args["channel"] == "C0INCIDENT"]
    assert len(incident_updates) == 1
    (key,) = [key for key in fake.messages if key[0] == "C0INCIDENT"]
    assert "Acknowledged by *Sam*" in "\n".join(mrkdwn_texts(fake.message(*key)["blocks"]))


def test_a_case_below_the_broadcast_urgency_stays_out_of_the_incident_channel(fake, broadcasting):
    assert broadcasting.send("U0DANA", page(urgency="high")).ok
    assert incident_posts(fake) == []


def test_a_failed_broadcast_does_not_fail_the_page_and_is_tried_again(fake, broadcasting):
    fake.fail_next("chat.postMessage", "not_in_channel", channel="C0INCIDENT")
    assert broadcasting.send("U0DANA", page()).ok
    assert len(incident_posts(fake)) == 1
    assert broadcasting.send("U0SAM", page(person="sam")).ok
    assert len(incident_posts(fake)) == 2
    assert broadcasting.send("U0DANA", page()).ok
    assert len(incident_posts(fake)) == 2


def test_redis_down_leaves_pages_working(fake):
    settings = SlackSenderSettings(api_url=fake.base_url, incident_channel="C0INCIDENT", broadcast_urgencies=["critical"])
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    sender = SlackSender(settings, SenderContext(settings=None, redis=dead),
                         client=WebClient(token=BOT_TOKEN, base_url=fake.base_url, timeout=5))
    sent = sender.send("U0DANA", page())
    assert sent.ok and sender.update("U0DANA", sent.provider_id, page(status="resolved")).ok
    assert incident_posts(fake) == []
