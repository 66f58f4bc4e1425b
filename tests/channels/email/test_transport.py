"""channels/email/transport.py: the SMTP listener under test, driven with smtplib, end to end to a case."""

from __future__ import annotations

import email
import smtplib
import socket
from pathlib import Path
from email import policy

import pytest

from frontdesk.redis_server import EmbeddedRedis
from tests.channels.email.helpers import cases, complaint, email_overrides, smtp_port
from tests.fakes.smtp_sink import SmtpSink
from tests.harness import base_settings


@pytest.fixture
def sink():
    with SmtpSink() as running:
        yield running


def send(port: int, raw: bytes, sender: str = "ann@customer.example", to: str = "help@localhost") -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail(sender, [to], raw)


def test_mail_becomes_one_case_and_one_threaded_acknowledgment(make_platform, sink):
    platform = make_platform(**email_overrides(sink))
    port = smtp_port(platform)
    send(port, complaint(1))
    send(port, complaint(1))  # the sending server retried after a lost 250: same Message-ID
    platform.work()
    [case] = cases(platform)
    assert (case["channel"], case["message_count"]) == ("email", 1)
    [ack] = sink.wait_for(1)
    assert ack.rcpt_tos == ["ann@customer.example"]
    parsed = email.message_from_bytes(ack.data, policy=policy.default)
    assert parsed["In-Reply-To"] == "<complaint-1@customer.example>"
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["Reply-To"].addresses[0].username.startswith("reply+")


def test_relay_attempt_is_refused_with_550_5_7_1(make_platform):
    port = smtp_port(make_platform(**email_overrides(None)))
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.mail("spammer@elsewhere.example")
        code, reply = client.rcpt("victim@elsewhere.example")
    assert code == 550 and reply.startswith(b"5.7.1")


def test_oversize_message_is_refused_with_552(make_platform):
    platform = make_platform(**email_overrides(None, max_message_bytes=2048))
    port = smtp_port(platform)
    big = complaint(2).replace(b"(complaint 2).", b"x" * 3000)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        send(port, big)  # smtplib declares SIZE, so the listener refuses at MAIL FROM
    assert refused.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.mail("ann@customer.example")
        client.rcpt("help@localhost")
        assert client.data(big)[0] == 552  # no SIZE declared: refused while reading DATA
    platform.work()
    assert cases(platform) == []


def test_bare_lf_dot_cannot_smuggle_a_second_message(make_platform):
    platform = make_platform(**email_overrides(None))
    port = smtp_port(platform)
    smuggled = (b"EHLO attacker.example\r\nMAIL FROM:<ann@customer.example>\r\nRCPT TO:<help@localhost>\r\nDATA\r\n"
                + complaint(3) + b"\n.\r\nMAIL FROM:<ceo@localhost>\r\nRCPT TO:<help@localhost>\r\nDATA\r\n"
                + b"From: ceo@localhost\r\nSubject: smuggled\r\n\r\nforged\r\n.\r\nQUIT\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(smuggled)
        replies = b""
        while b"221" not in replies:
            chunk = connection.recv(4096)
            if not chunk:
                break
            replies += chunk
    assert replies.count(b"\r\n250 2.0.0 Queued") == 1
    platform.work()
    [case] = cases(platform)
    assert case["contact"]["email"] == "ann@customer.example" and case["message_count"] == 1


@pytest.mark.slow
def test_store_down_answers_451_and_the_retry_makes_one_case(make_platform, tmp_path):
    own_redis = EmbeddedRedis(tmp_path / "redis").start()
    try:
        platform = make_platform(base_settings(tmp_path, own_redis.url, **email_overrides(None)))
        port = smtp_port(platform)
        own_redis.stop()
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            send(port, complaint(4))
        assert (deferred.value.smtp_code, deferred.value.smtp_error) == (
            451, b"4.3.0 Temporary failure, please try again later")
        own_redis.start()
        send(port, complaint(4))
        platform.work()
        assert [case["message_count"] for case in cases(platform)] == [1]
    finally:
        own_redis.stop()


def test_local_domain_and_addresses_are_configurable(make_platform):
    port = smtp_port(make_platform(**email_overrides(None, local_domains=["help.example"],
                                                     local_addresses=["desk@other.example"])))
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.mail("ann@customer.example")
        assert client.rcpt("anyone@help.example")[0] == 250
        assert client.rcpt("desk@other.example")[0] == 250
        assert client.rcpt("someone@other.example")[0] == 550
        assert client.rcpt("help@localhost")[0] == 550


def test_smtputf8_mail_is_accepted(make_platform):
    platform = make_platform(**email_overrides(None))
    port = smtp_port(platform)
    raw = ("From: José <josé@exämple.com>\r\nTo: help@localhost\r\nSubject: Reclamación\r\n"
           "Message-ID: <utf8-1@example.com>\r\n\r\nEl hervidor llegó roto.\r\n").encode()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("smtputf8")
        client.sendmail("josé@exämple.com", ["help@localhost"], raw, mail_options=["SMTPUTF8"])
    platform.work()
    assert [case["message_count"] for case in cases(platform)] == [1]


def test_autoresponder_ping_pong_ends_after_one_acknowledgment(make_platform, sink):
    platform = make_platform(**email_overrides(sink))
    port = smtp_port(platform)
    sink.autorespond(port, limit=20)
    send(port, complaint(7))
    for _ in range(15):  # bounded: the responder would answer up to 20 times
        platform.work()
        sink.wait_for(len(sink.received) + 1, timeout=0.3)
    platform.work()
    assert sink.handler.autoresponses == 1
    assert len(sink.received) == 1
    [case] = cases(platform)
    assert case["message_count"] == 2


def test_attachments_of_accepted_mail_are_kept_in_the_vault(make_platform):
    platform = make_platform(**email_overrides(None))
    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "email" / "message__attachment_russian_yahoo.eml"
    crlf = fixture.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # as any MTA sends it
    send(smtp_port(platform), crlf, sender="mailboxaddr1234567@yahoo.com")
    digest = "ac1c65a5a443"
    stored = list((platform.settings.data_dir / "attachments" / "email").glob(f"{digest}*"))
    assert len(stored) == 1 and stored[0].stat().st_mode & 0o777 == 0o600
    platform.work()
    [case] = cases(platform)
    assert case["message_count"] == 1
