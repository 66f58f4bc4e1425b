"""channels.x.parse: recorded X API v2 pages, one tweet per envelope, into Messages."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from channels.x.parse import parse
from frontdesk.errors import MalformedPayloadError, UnsupportedEventError
from frontdesk.models import FLAG_OWN, RawInbound
from tests.fakes.x_api import load_fixture

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def envelope_for(page: dict, index: int = 0, account_id: str = "1072250532645998596", stream: str = "mentions") -> RawInbound:
    tweet = page["data"][index]
    body = {"stream": stream, "account_id": account_id, "tweet": tweet,
            "includes": page.get("includes", {}), "errors": page.get("errors", [])}
    return RawInbound(id="01TEST", channel="x", external_id=tweet["id"], received_at=RECEIVED,
                      body=json.dumps(body).encode())


def test_expanded_mention_carries_author_thread_and_reply_target():
    message = parse(envelope_for(load_fixture("mentions__expanded.json")))
    assert message.external_id == "1380242525827530756"
    assert message.public is True
    assert message.sender.handle == "1092963886909849600"
    assert message.sender.name == "Reaper"
    assert message.text == "@ComfortablySmug Who knew Malia Obama liked pokemon? https://t.co/6zn8HyRdmr"
    assert message.thread_key == "1380234401011892229"
    assert message.sent_at == datetime(2021, 4, 8, 19, 33, 56, tzinfo=timezone.utc)
    assert message.reply_to["author_username"] == "The_Reaper2008"
    assert message.reply_to["in_reply_to_user_id"] == "17060573"
    assert message.reply_to["tweet_id"] == "1380242525827530756"
    assert message.reply_to["author_state"] == "ok"
    assert message.reply_to["url"] == "https://x.com/The_Reaper2008/status/1380242525827530756"
    assert message.thread_refs == (message.reply_to["replied_to_id"],)
    assert message.language == "en"
    assert message.idempotency_key == "x:1380242525827530756"


def test_deleted_author_is_unavailable_not_a_crash():
    message = parse(envelope_for(load_fixture("mentions__author_deleted.json")))
    assert message.sender.handle == "1092963886909849600"
    assert message.sender.name is None
    assert message.reply_to["author_state"] == "unavailable"
    assert message.reply_to["url"] == "https://x.com/i/web/status/1380242525827530756"


def test_protected_author_is_marked():
    message = parse(envelope_for(load_fixture("mentions__author_protected.json")))
    assert message.sender.name == "Andrew"
    assert message.reply_to["author_state"] == "protected"


def test_our_own_tweet_is_flagged():
    page = load_fixture("mentions__expanded.json")
    message = parse(envelope_for(page, account_id="1092963886909849600"))
    assert FLAG_OWN in message.flags


def test_default_fields_page_without_author_is_malformed():
    with pytest.raises(MalformedPayloadError):
        parse(envelope_for(load_fixture("mentions__default_fields.json")))


def test_search_stream_is_kept_and_html_entities_unescaped():
    page = load_fixture("mentions__expanded.json")
    page["data"][1] = dict(page["data"][1], text="@BoSnerdley fees &amp; delays &gt; patience")
    message = parse(envelope_for(page, 1, stream="search:acme"))
    assert message.text == "@BoSnerdley fees & delays > patience"
    assert message.reply_to["stream"] == "search:acme"


def test_retweet_is_unsupported():
    page = load_fixture("mentions__expanded.json")
    page["data"][0] = dict(page["data"][0], referenced_tweets=[{"type": "retweeted", "id": "1"}])
    with pytest.raises(UnsupportedEventError):
        parse(envelope_for(page))


@pytest.mark.parametrize("body", [b"", b"{not json", b"[]", b'{"tweet": "x"}', b'{"tweet": {"text": "no id"}}',
                                  b"\xff\xfe", b'{"tweet": {"id": "1", "text": 5, "author_id": "2"}}'])
def test_broken_envelopes_are_malformed(body):
    raw = RawInbound(id="01BAD", channel="x", external_id="bad", received_at=RECEIVED, body=body)
    with pytest.raises(MalformedPayloadError):
        parse(raw)


def test_huge_envelope_is_malformed():
    raw = RawInbound(id="01BIG", channel="x", external_id="big", received_at=RECEIVED, body=b" " * (2 * 1024 * 1024))
    with pytest.raises(MalformedPayloadError):
        parse(raw)
