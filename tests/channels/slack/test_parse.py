"""channels/slack/parse.py over Slack's own payloads (tests/fixtures/slack/), expected values inline."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from channels.slack.parse import parse, plain_text
from frontdesk.errors import MalformedPayloadError, UnsupportedEventError
from frontdesk.models import RawInbound

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "slack"
RECEIVED = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def raw(payload: dict | bytes, external_id: str = "Ev111", **meta: str) -> RawInbound:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return RawInbound(id="msg-1", channel="slack", external_id=external_id, received_at=RECEIVED, body=body, meta=meta)


def test_app_mention_becomes_a_message_without_the_bot_mention():
    message = parse(raw(fixture("event_callback__app_mention"), bot_user_id="W111"))
    assert message.id == "msg-1"
    assert message.channel == "slack" and message.external_id == "Ev111"
    assert message.idempotency_key == "slack:Ev111"
    assert message.sender.handle == "W222" and message.sender.channel == "slack"
    assert message.text == "Hi there!"
    assert message.thread_key is None and message.own_ids == ("C111:1595926230.009600",)  # its thread's key
    assert message.reply_to == {"channel": "C111", "thread_ts": "1595926230.009600", "ts": "1595926230.009600"}
    assert message.sent_at == datetime.fromtimestamp(1595926230.0096, tz=timezone.utc)
    assert message.received_at == RECEIVED


def test_app_mention_without_knowing_the_bot_keeps_the_mention_as_text():
    assert parse(raw(fixture("event_callback__app_mention"))).text == "@W111 Hi there!"


def test_direct_message_to_the_app():
    message = parse(raw(fixture("event_callback__message_im"), external_id="Ev111"))
    assert message.sender.handle == "W111"
    assert message.text == "Hi there! Thanks for sharing the info!"
    assert message.thread_key is None and message.own_ids == ("D111:1610261659.001400",)
    assert message.reply_to["channel"] == "D111"


def test_a_reply_in_a_thread_continues_the_thread():
    payload = fixture("event_callback__message_im")
    payload["event"]["thread_ts"] = "1610261000.000100"  # variant: the same DM, written as a thread reply
    message = parse(raw(payload))
    assert message.thread_key == "D111:1610261000.000100" and message.own_ids == ()
    assert message.reply_to == {"channel": "D111", "thread_ts": "1610261000.000100", "ts": "1610261659.001400"}


def test_report_as_complaint_shortcut_names_the_author_as_complainant():
    message = parse(raw(fixture("message_action__report"), external_id="report:C111:1583636382.000300"))
    assert message.external_id == "report:C111:1583636382.000300"
    assert message.sender.handle == "W111"
    assert message.text == "@W222 test"
    assert message.thread_key is None and message.own_ids == ("C111:1583636382.000300",)
    assert message.reply_to == {"channel": "C111", "thread_ts": "1583636382.000300", "ts": "1583636382.000300",
                                "reported_by": "W111"}


@pytest.mark.parametrize("name", [
    "event_callback__message_bot_user",
    "event_callback__message_bot_message",
    "event_callback__message_changed",
    "event_callback__message_deleted",
    "event_callback__message_channel",
    "event_callback__message_thread_broadcast",
    "event_callback__reaction_added",
    "url_verification",
])
def test_known_events_we_ignore_are_unsupported(name):
    with pytest.raises(UnsupportedEventError):
        parse(raw(fixture(name)))


def test_our_own_message_is_unsupported():
    with pytest.raises(UnsupportedEventError, match="own"):
        parse(raw(fixture("event_callback__message_im"), bot_user_id="W111"))


def test_a_bots_message_cannot_be_reported():
    payload = fixture("message_action__report")
    payload["message"]["bot_id"] = "B999"
    with pytest.raises(UnsupportedEventError):
        parse(raw(payload))


@pytest.mark.parametrize("body", [
    b"",
    b"not json",
    b"\xff\xfe",
    b"[1, 2]",
    b'{"type": "something_new"}',
    b'{"type": "event_callback"}',
    b'{"type": "event_callback", "event": {"type": "app_mention", "user": "W1", "channel": "C1", "ts": "1.1"}}',
    b'{"type": "event_callback", "event": {"type": "app_mention", "text": "hi", "user": "W1", "channel": "C1", "ts": "x"}}',
    b'{"type": "event_callback", "event": {"type": "app_mention", "text": "hi", "user": 5, "channel": "C1", "ts": "1.1"}}',
    b'{"type": "event_callback", "event": {"type": "app_mention", "text": "hi", "user": "W1", "channel": "../x", "ts": "1.1"}}',
    b'{"type": "message_action", "message": "text"}',
])
def test_malformed_payloads(body):
    with pytest.raises(MalformedPayloadError):
        parse(raw(body))


def test_huge_text_is_malformed():
    payload = fixture("event_callback__app_mention")
    payload["event"]["text"] = "a" * 40_001
    with pytest.raises(MalformedPayloadError):
        parse(raw(payload))


def test_an_empty_mention_is_unsupported():
    payload = fixture("event_callback__app_mention")
    payload["event"]["text"] = "<@W111>"
    with pytest.raises(UnsupportedEventError):
        parse(raw(payload, bot_user_id="W111"))


@pytest.mark.parametrize(("wire", "plain"), [
    ("<@U123> hello", "@U123 hello"),
    ("<@U123|dana> hello", "@dana hello"),
    ("see <#C123|general>", "see #general"),
    ("<!everyone> <!here>", "@everyone @here"),
    ("<!subteam^S123|@oncall> help", "@oncall help"),
    ("<https://example.com/a?b=1&amp;c=2|my order>", "my order (https://example.com/a?b=1&c=2)"),
    ("<https://example.com>", "https://example.com"),
    ("1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"),
    ("&amp;lt;", "&lt;"),
])
def test_plain_text_reads_slack_markup(wire, plain):
    assert plain_text(wire) == plain


def test_socket_mode_envelope_payload_is_an_ordinary_event():
    payload = fixture("socket_mode__events_api_app_mention")["payload"]
    with pytest.raises(UnsupportedEventError, match="no text"):
        parse(raw(payload, bot_user_id="U111"))  # the mention is all it says
    message = parse(raw(payload))
    assert (message.sender.handle, message.text, message.own_ids) == ("U222", "@U111", ("C111:1610241741.000200",))


def test_button_clicks_are_not_messages():
    with pytest.raises(UnsupportedEventError, match="block_actions"):
        parse(raw(fixture("block_actions__button")))
