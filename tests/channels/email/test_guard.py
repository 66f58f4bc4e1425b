"""channels/email/guard.py: hostile shapes are refused before or while the stdlib parses them."""

from __future__ import annotations

import time

import pytest

from channels.email.parse import parse_email
from config.email import EmailParseLimits
from frontdesk.errors import MalformedPayloadError
from tests.channels.email.test_parse import raw_of

HEAD = b"From: Ann <ann@example.com>\r\nTo: help@localhost\r\nSubject: broken\r\nMessage-ID: <g1@example.com>\r\n"


def nested(depth: int) -> bytes:
    """A message whose multiparts nest `depth` levels deep."""
    body = b"Content-Type: text/plain\r\n\r\nbottom\r\n"
    for level in range(depth):
        boundary = f"b{level}".encode()
        body = (b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n--" + boundary + b"\r\n"
                + body + b"\r\n--" + boundary + b"--\r\n")
    return HEAD + b"MIME-Version: 1.0\r\n" + body


def many_parts(count: int) -> bytes:
    parts = b"".join(b"--x\r\nContent-Type: text/plain\r\n\r\npart\r\n" for _ in range(count))
    return HEAD + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" + parts + b"--x--\r\n"


@pytest.mark.parametrize("body, reason", [
    (HEAD + b"X-Filler: " + b"a" * 70 + (b"\r\n " + b"a" * 70) * 4000 + b"\r\n\r\nhi", "header block over"),
    (HEAD + b"X-Big: " + b"a" * 17000 + b"\r\n\r\nhi", "header 'x-big' over 16384 bytes"),
    (HEAD.replace(b"To: help@localhost", b"To: " + b", ".join(b"u%d@example.com" % n for n in range(201)))
     + b"\r\nhi", "names over 200 addresses"),
    (nested(25), "MIME nesting deeper than 20"),
    (many_parts(201), "more than 200 MIME parts"),
    (b"Subject: no sender\r\n\r\nhello", "no sender address"),
])
def test_hostile_message_is_refused(body, reason):
    with pytest.raises(MalformedPayloadError, match=reason):
        parse_email(raw_of(body))


def test_limits_just_inside_are_accepted():
    assert parse_email(raw_of(nested(19))).text == "bottom"
    assert parse_email(raw_of(many_parts(150))).text == "part"
    to_200 = HEAD.replace(b"To: help@localhost", b"To: " + b", ".join(b"u%d@example.com" % n for n in range(200)))
    assert parse_email(raw_of(to_200 + b"\r\nhi")).text == "hi"


def test_parse_time_is_bounded():
    limits = EmailParseLimits(max_seconds=0.05, max_parts=100_000, max_depth=100)
    # Thousands of small parts: legal shape, slow to parse, so the budget ends it.
    body = HEAD + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" + \
        b"".join(b"--x\r\nContent-Type: text/plain\r\n\r\n" + b"line\r\n" * 20 for _ in range(40_000)) + b"--x--\r\n"
    from channels.email.parse import ParseOptions

    started = time.monotonic()
    with pytest.raises(MalformedPayloadError, match="parse took longer than"):
        parse_email(raw_of(body), ParseOptions(limits=limits))
    assert time.monotonic() - started < 5


def test_unknown_charset_decodes_with_replacement():
    body = HEAD + (b"Subject: =?x-no-such-charset?q?caf=E9?=\r\nMIME-Version: 1.0\r\n"
                   b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\ncaf\xe9 au lait\r\n")
    message = parse_email(raw_of(body))
    assert message.text == "caf\ufffd au lait"
    assert "\ud800" not in (message.subject or "")
    message.model_dump_json()


def test_lying_charset_and_8bit_headers_do_not_crash():
    body = (b"From: J\xfcrgen <jurgen@example.com>\r\nSubject: gr\xfc\xdf\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"\r\n\xff\xfe not utf-8 \xc3\r\n")
    message = parse_email(raw_of(body))
    assert message.sender.handle == "jurgen@example.com"
    assert message.text == "\ufffd\ufffd not utf-8 \ufffd"
    message.model_dump_json()
