"""channels.mastodon.parse: recorded Mastodon statuses (from notifications and timelines) into Messages."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from channels.mastodon.parse import html_to_text, parse
from frontdesk.errors import MalformedPayloadError, UnsupportedEventError
from frontdesk.models import FLAG_OWN, RawInbound
from tests.fakes.mastodon_api import load_fixture

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
OUR_ACCOUNT = "109440137734600341"


def raw_for(status: dict, root_id: str | None = None, account_id: str = OUR_ACCOUNT) -> RawInbound:
    body = {"stream": "mentions", "account_id": account_id, "status": status, "root_id": root_id}
    return RawInbound(id="01TEST", channel="mastodon", external_id=status["id"], received_at=RECEIVED,
                      body=json.dumps(body).encode())


def test_mention_notification_status():
    status = load_fixture("notifications__mention_and_follow.json")[0]["status"]
    message = parse(raw_for(status))
    assert message.external_id == "109440144213643619"
    assert message.sender.handle == "109440137501589086"
    assert message.sender.name == "admin"
    assert message.text == "@mastodonpy_test hello!"
    assert message.thread_key == "109440144213643619"
    assert message.public is True
    assert message.sent_at == datetime(2022, 12, 1, 19, 47, 55, 526000, tzinfo=timezone.utc)
    assert message.reply_to["acct"] == "admin"
    assert message.reply_to["status_id"] == "109440144213643619"
    assert message.reply_to["url"] == "http://localhost:3000/@admin/109440144213643619"
    assert message.language == "en"


def test_reply_threads_by_the_chain_root():
    status = load_fixture("status__reply.json")
    message = parse(raw_for(status, root_id="109440142472665266"))
    assert message.thread_key == "109440142472665266"
    assert message.thread_refs == ("109440142472665266",)
    assert message.sender.name == "John Lennon"
    assert message.reply_to["in_reply_to_account_id"] == "109440137734600341"
    assert FLAG_OWN in message.flags  # the recorded reply was written by the account it mentions


def test_direct_status_is_not_public():
    status = dict(load_fixture("status__reply.json"), visibility="direct")
    assert parse(raw_for(status, account_id="other")).public is False


def test_boost_is_unsupported():
    status = dict(load_fixture("status__reply.json"), reblog={"id": "1"})
    with pytest.raises(UnsupportedEventError):
        parse(raw_for(status))


@pytest.mark.parametrize("body", [b"", b"{", b'{"status": {}}', b'{"status": {"id": "1", "content": "x"}}',
                                  b'{"status": {"id": "1", "account": {"id": "2"}, "content": null}}'])
def test_broken_envelopes_are_malformed(body):
    raw = RawInbound(id="01BAD", channel="mastodon", external_id="bad", received_at=RECEIVED, body=body)
    with pytest.raises(MalformedPayloadError):
        parse(raw)


def test_html_to_text_keeps_paragraphs_and_entities():
    assert html_to_text("<p>one &amp; two<br>three</p><p>four</p>") == "one & two\nthree\n\nfour"
