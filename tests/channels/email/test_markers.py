"""channels/email/markers.py: robots, lists, bounces and our own mail are recognised from real header forms."""

from __future__ import annotations

import pytest

from channels.email.parse import ParseOptions, parse_email
from frontdesk.models import FLAG_AUTO_SUBMITTED, FLAG_BOUNCE, FLAG_BULK, FLAG_OWN
from tests.channels.email.test_parse import raw_of

PLAIN = b"From: Ann <ann@example.com>\r\nTo: help@localhost\r\nSubject: my order\r\nMessage-ID: <m1@example.com>\r\n"


def flags_for(extra: bytes, sender: bytes = b"Ann <ann@example.com>", **meta: str) -> set[str]:
    body = PLAIN.replace(b"Ann <ann@example.com>", sender) + extra + b"\r\nIt broke.\r\n"
    return set(parse_email(raw_of(body, **meta), ParseOptions(loop_id="frontdesk@help.example")).flags)


@pytest.mark.parametrize("extra, expected", [
    (b"", set()),
    (b"Auto-Submitted: no\r\n", set()),
    (b"Auto-Submitted: auto-replied\r\n", {FLAG_AUTO_SUBMITTED}),
    (b"Auto-Submitted: auto-generated\r\n", {FLAG_AUTO_SUBMITTED}),
    (b"Precedence: bulk\r\n", {FLAG_BULK}),
    (b"Precedence: list\r\n", {FLAG_BULK}),
    (b"Precedence: junk\r\n", {FLAG_BULK}),
    (b"Precedence: auto_reply\r\n", {FLAG_AUTO_SUBMITTED}),
    (b"X-Auto-Response-Suppress: All\r\n", {FLAG_AUTO_SUBMITTED}),
    (b"X-Auto-Response-Suppress: DR, AutoReply\r\n", {FLAG_AUTO_SUBMITTED}),
    (b"X-Auto-Response-Suppress: OOF\r\n", set()),
    (b"List-Id: Buyers <buyers.lists.example.com>\r\n", {FLAG_BULK}),
    (b"List-Unsubscribe: <mailto:leave@example.com>\r\n", {FLAG_BULK}),
    (b"X-Loop: frontdesk@help.example\r\n", {FLAG_OWN}),
    (b"X-Loop: someone-else@example.org\r\n", set()),
    (b"X-Failed-Recipients: bob@example.org\r\n", {FLAG_BOUNCE}),
    (b"Return-Path: <>\r\n", {FLAG_BOUNCE}),
])
def test_header_markers(extra, expected):
    assert flags_for(extra) == expected


@pytest.mark.parametrize("sender, expected", [
    (b"MAILER-DAEMON@example.org (Mail Delivery System)", {FLAG_BOUNCE}),
    (b"postmaster@example.org", {FLAG_BOUNCE}),
    (b"No Reply <no-reply@shop.example>", {FLAG_AUTO_SUBMITTED}),
    (b"<noreply@shop.example>", {FLAG_AUTO_SUBMITTED}),
    (b"donotreply@shop.example", {FLAG_AUTO_SUBMITTED}),
    (b"Norah Eply <norah@example.com>", set()),
])
def test_robot_senders(sender, expected):
    assert flags_for(b"", sender=sender) == expected


def test_null_envelope_sender_is_a_report_and_known_sender_is_not():
    assert FLAG_BOUNCE in set(parse_email(raw_of(PLAIN + b"\r\nx", sender="")).flags)
    assert FLAG_BOUNCE not in set(parse_email(raw_of(PLAIN + b"\r\nx", sender="ann@example.com")).flags)


def test_sender_comes_from_the_address_never_the_display_name():
    spoof = PLAIN.replace(b"Ann <ann@example.com>", b'"ceo@help.example" <mallory@evil.example>')
    message = parse_email(raw_of(spoof + b"\r\nhi"))
    assert message.sender.handle == "mallory@evil.example"
    assert message.sender.name == "ceo@help.example"


def test_envelope_sender_is_the_fallback_when_from_has_no_address():
    body = b"From: undisclosed-recipients:;\r\nSubject: x\r\n\r\nhello"
    assert parse_email(raw_of(body, sender="Bob@Example.com")).sender.handle == "bob@example.com"


def test_reply_to_carries_what_the_acknowledgment_needs():
    body = PLAIN + (b"Reply-To: Ann Desk <desk@example.com>\r\nIn-Reply-To: <p2@x>\r\n"
                    b"References: <p0@x> <p1@x>\r\n <p2@x>\r\n\r\nhello")
    message = parse_email(raw_of(body))
    assert message.thread_refs[:3] == ("p2@x", "p1@x", "p0@x")
    assert [ref[:8] for ref in message.thread_refs[3:]] == ["subject:", "subject:"]
    assert message.reply_to == {
        "address": "desk@example.com", "message_id": "m1@example.com",
        "references": "p0@x p1@x p2@x m1@example.com", "subject": "my order",
    }
