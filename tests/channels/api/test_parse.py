"""channels/api/parse.py: request bodies to Messages, and every way a body can be wrong."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from channels.api.parse import external_id_for, parse, read_body
from frontdesk.errors import MalformedPayloadError
from frontdesk.models import RawInbound

FIXTURES = Path(__file__).parents[2] / "fixtures" / "api"
RECEIVED = datetime(2026, 3, 20, 9, 0, tzinfo=timezone.utc)


def raw(body: bytes, client: str = "default") -> RawInbound:
    parsed = read_body(body)
    return RawInbound(id="01TEST", channel="api", external_id=external_id_for(client, parsed), received_at=RECEIVED,
                      body=body, meta={"client": client})


def test_minimal_fixture():
    message = parse(raw((FIXTURES / "message__minimal.json").read_bytes()))
    assert message.id == "01TEST"
    assert message.idempotency_key == "api:default:ticket-1001"
    assert message.sender.handle == "default:cust-77" and message.sender.email is None
    assert message.text == "My order never arrived."
    assert message.subject is None and message.thread_key is None
    assert message.sent_at == RECEIVED  # no sent_at: the time it was received
    assert message.reply_to == {"client": "default"}


def test_full_fixture():
    message = parse(raw((FIXTURES / "message__full.json").read_bytes(), client="zendesk"))
    assert message.external_id == "zendesk:zendesk-58213"
    assert message.sender.name == "Ana Ruiz" and message.sender.email == "ana.ruiz@example.org"
    assert message.subject == "Refund for order 7731"
    assert message.thread_key == "zendesk:order-7731"
    assert message.sent_at == datetime(2026, 3, 20, 8, 15, tzinfo=timezone.utc)
    assert message.reply_to == {"client": "zendesk"}


@pytest.mark.parametrize("body, field", [
    (b"not json", None),
    (b"[1, 2]", None),
    (b'{"sender": {"handle": "a"}, "text": "x"}', "external_id"),
    (b'{"external_id": "1", "text": "x"}', "sender"),
    (b'{"external_id": "1", "sender": {}, "text": "x"}', "sender.handle"),
    (b'{"external_id": "1", "sender": {"handle": "a"}, "text": ""}', "text"),
    (b'{"external_id": "1", "sender": {"handle": "a", "email": "not-an-address"}, "text": "x"}', "sender.email"),
    (b'{"external_id": "1", "sender": {"handle": "a"}, "text": "x", "sent_at": "yesterday"}', "sent_at"),
    (b'{"external_id": "1", "sender": {"handle": "a"}, "text": "x", "sent_at": "2026-03-20T09:00:00"}', "sent_at"),
    (b'{"external_id": "1", "sender": {"handle": "a"}, "text": "x", "priority": "urgent"}', "priority"),
    (b'{"external_id": "1", "sender": {"handle": "a"}, "text": 5}', "text"),
    (b'\xff\xfe{"broken": true}', None),
])
def test_bad_bodies_name_the_field(body, field):
    with pytest.raises(MalformedPayloadError) as error:
        read_body(body)
    assert error.value.field == field
    if field:
        assert str(error.value).startswith(field)


def test_long_text_is_refused_by_field():
    body = json.dumps({"external_id": "1", "sender": {"handle": "a"}, "text": "x" * 200_001}).encode()
    with pytest.raises(MalformedPayloadError) as error:
        read_body(body)
    assert error.value.field == "text"
