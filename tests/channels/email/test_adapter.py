"""channels/email/adapter.py: what the transport records travels to the workers' `parse` through meta."""

from __future__ import annotations

import pytest

from channels.email.adapter import EmailAdapter
from config.email import EmailChannelSettings
from config.schema import Settings
from frontdesk.channel import ChannelContext
from frontdesk.errors import MalformedPayloadError
from frontdesk.models import FLAG_OWN, RawInbound
from tests.channels.email.helpers import complaint
from tests.channels.email.test_parse import RECEIVED


def adapter_for(tmp_path, **channel) -> EmailAdapter:
    settings = Settings(data_dir=tmp_path, outbound={"email": {"domain": "help.example", "loop_marker": "desk"}})
    return EmailAdapter(EmailChannelSettings(**channel), ChannelContext(settings=settings))


def raw(body: bytes, meta: dict[str, str]) -> RawInbound:
    return RawInbound(id="01A", channel="email", external_id="x", received_at=RECEIVED, body=body, meta=meta)


def test_custom_limits_and_loop_marker_reach_the_parser(tmp_path):
    adapter = adapter_for(tmp_path, limits={"max_parts": 2})
    meta = adapter.intake_meta(complaint(1), [])
    parts = (b"From: a@x.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
             + b"--b\r\n\r\none\r\n" * 3 + b"--b--\r\n")
    with pytest.raises(MalformedPayloadError, match="more than 2 MIME parts"):
        EmailAdapter.parse(raw(parts, meta))
    looped = complaint(2, extra="X-Loop: desk@help.example\r\n")
    assert FLAG_OWN in EmailAdapter.parse(raw(looped, meta)).flags
    assert FLAG_OWN not in EmailAdapter.parse(raw(looped, {})).flags  # another deployment's marker


def test_reply_token_of_a_recipient_becomes_the_first_thread_key(tmp_path):
    adapter = adapter_for(tmp_path)
    token = adapter.codec.reply_token(17)
    meta = adapter.intake_meta(complaint(3), [f"reply+{token}@localhost"])
    assert meta["reply_case"] == "17"
    assert EmailAdapter.parse(raw(complaint(3), meta)).thread_refs[0] == "case:17"
    assert "reply_case" not in adapter.intake_meta(complaint(3), ["reply+aaaaaaaaaaaaaaaaaaaaaaaaaaaaa@localhost"])
