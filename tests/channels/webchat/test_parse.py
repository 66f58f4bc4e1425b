"""channels/webchat/parse.py against the widget's frames in tests/fixtures/webchat/."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from channels.webchat.parse import parse, read_frame
from frontdesk.errors import MalformedPayloadError, UnsupportedEventError
from frontdesk.models import RawInbound

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webchat"
CONVERSATION = "Qm9vZ2llLXdvb2dpZS0xMj"
RECEIVED = datetime(2026, 11, 23, 15, 4, 5, tzinfo=timezone.utc)


def raw_of(name: str, conversation: str = CONVERSATION) -> RawInbound:
    body = (FIXTURES / name).read_bytes()
    try:
        client_id = json.loads(body).get("client_id", "x")
    except json.JSONDecodeError:
        client_id = "x"
    return RawInbound(
        id="01JDWEBCHAT0000000000000001", channel="webchat", external_id=f"{conversation}:{client_id}",
        received_at=RECEIVED, body=body, meta={"conversation": conversation},
    )


def test_plain_message():
    message = parse(raw_of("message__plain.json"))
    assert message.channel == "webchat"
    assert message.id == "01JDWEBCHAT0000000000000001"
    assert message.external_id == f"{CONVERSATION}:5f1c2a9e0b7d4c3a8e6f1b20"
    assert message.text == "My order #4411 arrived broken and nobody answers the phone."
    assert message.sender.handle == CONVERSATION
    assert message.sender.name is None and message.sender.email is None
    assert message.thread_key == CONVERSATION
    assert message.reply_to == {"conversation": CONVERSATION}
    assert message.sent_at == RECEIVED and message.received_at == RECEIVED
    assert message.public is False


def test_multiline_unicode_is_normalised_and_controls_dropped():
    message = parse(raw_of("message__multiline_unicode.json"))
    assert message.text == "Caf\u00e9 au lait \u2615\nline two \u05e9\u05dc\u05d5\u05dd"


def test_complaint_with_email_contact_keeps_it_unverified():
    message = parse(raw_of("complaint__email_contact.json"))
    assert message.sender.name == "Dana Whitfield"
    assert message.sender.email == "dana.whitfield@example.org"
    assert message.sender.email_verified is False
    assert message.sender.handle == CONVERSATION
    assert message.text == (
        "I was charged twice for the same order (#8812) on 3 May.\n\nOutcome wanted: Refund the second charge."
    )


def test_complaint_with_phone_contact_puts_it_in_the_text():
    message = parse(raw_of("complaint__phone_contact.json"))
    assert message.sender.name == "Sam O'Neill"
    assert message.sender.email is None
    assert message.text == (
        "The heater you installed smells of gas.\n\nOutcome wanted: Send an engineer today.\n\n"
        "Contact given: +44 20 7946 0958"
    )


@pytest.mark.parametrize("name, field", [
    ("message__whitespace_only.json", "text"),
    ("message__unknown_field.json", "token"),
    ("message__bad_client_id.json", "client_id"),
    ("complaint__missing_outcome.json", "form.desired_outcome"),
])
def test_malformed_frames_name_the_field(name, field):
    with pytest.raises(MalformedPayloadError) as caught:
        parse(raw_of(name))
    assert caught.value.field == field


def test_truncated_json_is_malformed():
    with pytest.raises(MalformedPayloadError, match="not valid JSON"):
        parse(raw_of("message__truncated.json"))


def test_protocol_frame_is_not_a_visitor_event():
    with pytest.raises(UnsupportedEventError):
        parse(raw_of("hello__resume.json"))


@pytest.mark.parametrize("body", [b"[]", b"\"text\"", b"\xff\xfe", b"null"])
def test_non_objects_are_malformed(body):
    with pytest.raises(MalformedPayloadError):
        read_frame(body)


def test_missing_or_forged_conversation_is_malformed():
    with pytest.raises(MalformedPayloadError) as caught:
        parse(raw_of("message__plain.json", conversation="dana@example.org"))
    assert caught.value.field == "meta.conversation"


def test_text_that_is_only_control_characters_is_malformed():
    raw = raw_of("message__plain.json").model_copy(
        update={"body": b'{"type": "message", "client_id": "a1", "text": "\\u0000\\u0007\\u001b"}'})
    with pytest.raises(MalformedPayloadError) as caught:
        parse(raw)
    assert caught.value.field == "text"


def test_every_xss_payload_is_kept_verbatim():
    lines = [line for line in (FIXTURES / "xss_payloads.txt").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("# ")]
    assert len(lines) >= 25
    for index, payload in enumerate(lines):
        body = json.dumps({"type": "message", "client_id": f"x{index}", "text": payload}).encode()
        raw = raw_of("message__plain.json").model_copy(update={"body": body})
        assert parse(raw).text == payload.strip()
