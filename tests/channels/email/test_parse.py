"""channels/email/parse.py: every fixture parses to the values written here, or is quarantined in time."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from channels.email.parse import ParseOptions, external_id, parse_email
from config.email import EmailParseLimits
from frontdesk.errors import MalformedPayloadError
from frontdesk.models import FLAG_AUTO_SUBMITTED, FLAG_BOUNCE, FLAG_BULK, FLAG_OWN, RawInbound

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
RECEIVED = datetime(2026, 1, 1, tzinfo=timezone.utc)


def raw_of(body: bytes, **meta: str) -> RawInbound:
    return RawInbound(id="01TEST", channel="email", external_id=external_id(body), received_at=RECEIVED,
                      body=body, content_type="message/rfc822", meta=meta)


def parse_fixture(name: str, **meta: str):
    return parse_email(raw_of((FIXTURES / name).read_bytes(), **meta))


# name: (sender, subject, text starts with, flags, own_ids, first thread ref)
EXPECTED = {
    "message__gmail_reply.eml": (
        "xxx@gmail.com", "Re: Test", "Hello", set(),
        ("CAKsfaBW4hj0Gek6TwbR3erng4P1y0CZzJ0d=pXtCNnYnbe7PLg@mail.gmail.com",), None),
    "message__thunderbird_bottom_post.eml": (
        "bob@xxx.mailgun.org", "Re: Test", "Hello", set(), ("4F79B73C.9030506@xxx.mailgun.org",), None),
    "message__outlook_reply.eml": ("me@example.com", "Test", "Hello", set(), (), None),
    "message__android_russian_reply.eml": (
        "bob@example.com", "Re: Test", "Hello", set(),
        ("CAEAsyCZ-sCHxZtoKyM3JmT5gSYpZd5GwY-cVNiV8H329zgJT4g@mail.gmail.com",), None),
    "message__yahoo_reply.eml": (
        "xxx@yahoo.com", "Re: Test", "Hello", set(),
        ("1333374330.68772.YahooMailNeo@web114411.mail.gq1.yahoo.com",), "1333374262.7063.15.camel@mg5"),
    "message__mime_torture.eml": (
        "mrc@cac.washington.edu", "Multi-media mail demonstration",
        "This is a demonstration of multi-part mail with encapsulated messages.", set(),
        ("CMM.0.88.687168092.mrc@akbar.cac.washington.edu",), None),
    "message__attachment_russian_yahoo.eml": (
        "mailboxaddr1234567@yahoo.com", "Hello", "Hello", set(),
        ("1340971597.8077.YahooMailNeo@web114418.mail.gq1.yahoo.com",), None),
    "message__broken_content_type.eml": (
        "hello@example.com", "its me A", "Hello Dear, How are you?", set(), (), None),
    "message__enclosed_bad_encoding.eml": (
        "bob@example.net", "Wow", "Hello", set(), ("4FEEF9B3.7060508@example.net",), None),
    "message__rfc2231_charset.eml": (
        "aperson@example.com", "Re: Limiting Perl CPU Utilization...", "Some message.", {FLAG_BULK}, (), None),
    "bulk__mailing_list.eml": (
        "calpas2007@yahoo.fr", "[Shapelib] need some help", "Dear all,", {FLAG_BULK},
        ("325993.29502.qm@web28416.mail.ukl.yahoo.com",), None),
    "bulk__precedence_bulk.eml": (
        "ingo@blank.pages.de", "Re: running server as root (Was: Re: PUT method)", "Marc Slemko wrote:",
        {FLAG_BULK}, ("33C7E4E1.2A12445E@blank.pages.de",),
        "Pine.BSF.3.95q.970712135859.28530B-100000@valis.worldgate.com"),
    "bounce__aol_mailbox_full.eml": (
        "mailer-daemon@aol.com", "Undelivered Mail Returned to Sender", "*** ATTENTION ***",
        {FLAG_BOUNCE, FLAG_AUTO_SUBMITTED}, ("20110729080856.AAB7C3800008A@mtain-db01.r1000.mx.aol.com",),
        "4E326A95.3010907@example.com"),
    "bounce__gmail_invalid_address.eml": (
        "mailer-daemon@googlemail.com", "Delivery Status Notification (Failure)",
        "Delivery to the following recipient failed permanently:", {FLAG_BOUNCE},
        ("001a11c2449205704f04e0cbff5b@google.com",),
        "CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com"),
    "bounce__office365_dsn.eml": (
        "postmaster@example.no", "Undeliverable: test_bounce 8", "[http://products.office.com/",
        {FLAG_BOUNCE, FLAG_AUTO_SUBMITTED},
        ("2ab24bbc-78da-492a-9f68-438ddae558bb@DB5PR06MB1800.eurprd06.prod.outlook.com",),
        "20171013111011.20866.254C2F3A4D7AA526@ninomail.com"),
    "complaint__arf_yahoo.eml": (
        "feedback@arf.mail.yahoo.com", "FW:Some subject", "This is an email abuse report", {FLAG_BOUNCE},
        ("20120711104336.819.40318@returns.bulk.yahoo.com",), "20120711015015.4A8BE2E088E@www.example.com"),
}

QUARANTINED = {
    "malformed__endless_nesting.eml": "more than 200 MIME parts",
    "malformed__long_header.eml": "header 'subject' over 16384 bytes",
    "malformed__no_from.eml": "no sender address",
}


def test_every_fixture_is_listed_here():
    assert {path.name for path in FIXTURES.glob("*.eml")} == set(EXPECTED) | set(QUARANTINED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_to_expected_values(name):
    sender, subject, text_start, flags, own_ids, first_ref = EXPECTED[name]
    message = parse_fixture(name)
    assert message.channel == "email"
    assert message.sender.handle == sender and message.sender.email == sender
    assert message.subject == subject
    assert message.text.startswith(text_start)
    assert message.flags == frozenset(flags)
    assert tuple(own for own in message.own_ids if not own.startswith("subject:")) == own_ids
    references = [ref for ref in message.thread_refs if not ref.startswith("subject:")]
    assert (references[0] if references else None) == first_ref
    assert message.reply_to["subject"] == subject
    assert message.reply_to["message_id"] == (own_ids[0] if own_ids else "")


@pytest.mark.parametrize("name", sorted(QUARANTINED))
def test_fixture_is_quarantined_within_the_time_bound(name):
    started = time.monotonic()
    with pytest.raises(MalformedPayloadError, match=QUARANTINED[name]):
        parse_fixture(name)
    assert time.monotonic() - started < EmailParseLimits().max_seconds + 1


def test_quoted_history_and_signature_are_removed():
    assert parse_fixture("message__gmail_reply.eml").text == "Hello"
    assert parse_fixture("message__thunderbird_bottom_post.eml").text == "Hello"
    assert parse_fixture("message__android_russian_reply.eml").text == "Hello"


def test_the_removed_history_is_handed_to_the_router_as_quoted():
    assert parse_fixture("message__gmail_reply.eml").quoted.strip() == "> Hi"
    assert parse_fixture("message__thunderbird_bottom_post.eml").quoted.strip() == "> Hi"


def test_bounce_report_names_the_original_message_and_recipient():
    message = parse_fixture("bounce__aol_mailbox_full.eml")
    assert message.reply_to["report_message_id"] == "4E326A95.3010907@example.com"
    assert message.reply_to["report_recipients"] == "user@aol.com"
    assert message.reply_to["report_action"] == "failed"
    assert message.reply_to["report_status"] == "5.2.2"
    office = parse_fixture("bounce__office365_dsn.eml")
    assert office.thread_refs == ("20171013111011.20866.254C2F3A4D7AA526@ninomail.com",)
    assert office.reply_to["report_recipients"] == "noname@example.com"


def test_attachment_metadata():
    torture = parse_fixture("message__mime_torture.eml")
    assert len(torture.attachments) == 22
    audio = torture.attachments[1]
    assert (audio.content_type, audio.size, audio.sha256[:12]) == ("audio/basic", 409600, "586f47ebdc86")
    picture = parse_fixture("message__attachment_russian_yahoo.eml").attachments
    assert [(item.content_type, item.size) for item in picture] == [("image/png", 178213)]
    assert picture[0].filename.startswith("Картинка с очень")
    assert picture[0].sha256.startswith("ac1c65a5a443")


def test_external_id_is_message_id_or_a_stable_content_hash():
    gmail = (FIXTURES / "message__gmail_reply.eml").read_bytes()
    assert external_id(gmail) == "CAKsfaBW4hj0Gek6TwbR3erng4P1y0CZzJ0d=pXtCNnYnbe7PLg@mail.gmail.com"
    outlook = (FIXTURES / "message__outlook_reply.eml").read_bytes()
    assert external_id(outlook).startswith("sha256:")
    # A hop that adds a Received line must not change the key of a mail without Message-ID.
    assert external_id(b"Received: by relay\r\n" + outlook) == external_id(outlook)
    assert external_id(outlook.replace(b"Hello", b"Hallo")) != external_id(outlook)
