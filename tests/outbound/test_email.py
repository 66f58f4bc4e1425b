"""outbound/email.py against a real aiosmtpd sink: threading, loop and opt-out headers, header injection."""

from __future__ import annotations

import email
from datetime import datetime, timedelta, timezone
from email import policy
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr

from channels.email.parse import parse_email
from config.email import EmailSenderSettings, TokenCodec
from config.schema import Settings
from frontdesk.models import Rendered
from frontdesk.sender import SenderContext
from outbound.email import EmailSender
from outbound.email_compose import message_id_for
from outbound.email_headers import text_header
from outbound.errors import HeaderInjectionError
from tests.channels.email.test_parse import raw_of
from tests.fakes.smtp_sink import SmtpSink

SECRET = "test-secret-0123456789"


@pytest.fixture
def sink():
    with SmtpSink() as running:
        yield running


def make_sender(sink: SmtpSink, tmp_path: Path, redis_connection=None, **overrides) -> EmailSender:
    section = EmailSenderSettings.model_validate(
        {"host": "127.0.0.1", "port": sink.port, "timeout": "5s", "from_address": "help@shop.example",
         "domain": "shop.example", **overrides}).model_copy(update={"token_secret": SecretStr(SECRET)})
    settings = Settings(data_dir=tmp_path, organisation={"name": "Shop", "dashboard_url": "https://desk.shop.example"})
    return EmailSender(section, SenderContext(settings=settings, redis=redis_connection))


def ack(**fields) -> Rendered:
    base = dict(text="We have your message (case #12).", subject="Re: My order", idempotency_key="ack:01ABC",
                reply_to={"message_id": "orig@customer.example", "references": "root@customer.example"},
                meta={"case_id": "12"})
    return Rendered(**{**base, **fields})


def test_acknowledgment_threads_and_carries_loop_and_opt_out_headers(sink, tmp_path):
    result = make_sender(sink, tmp_path).send("ann@customer.example", ack())
    token = TokenCodec(SECRET.encode()).reply_token(12)
    assert result.ok and result.provider_id == message_id_for("ack:01ABC", "shop.example", token)
    assert result.provider_id.startswith(f"fd.{token}.")
    [mail] = sink.wait_for(1)
    assert mail.mail_from == "help@shop.example" and mail.rcpt_tos == ["ann@customer.example"]
    parsed = email.message_from_bytes(mail.data, policy=policy.default)
    assert parsed["Message-ID"] == f"<{result.provider_id}>"
    assert result.provider_id.endswith("@shop.example")
    assert parsed["In-Reply-To"] == "<orig@customer.example>"
    assert parsed["References"] == "<root@customer.example> <orig@customer.example>"
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["X-Auto-Response-Suppress"] == "All"
    assert parsed["X-Loop"] == "frontdesk@shop.example"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Subject"] == "Re: My order"
    assert parsed["From"].addresses[0].addr_spec == "help@shop.example"
    assert parsed.get_content().strip() == "We have your message (case #12)."
    codec = TokenCodec(SECRET.encode())
    reply_address = parsed["Reply-To"].addresses[0]
    assert reply_address.domain == "shop.example" and reply_address.username.startswith("reply+")
    assert codec.read_reply_token(reply_address.username.removeprefix("reply+")) == 12
    url = parsed["List-Unsubscribe"].split(",")[0].strip("<> ")
    assert url.startswith("https://desk.shop.example/email/unsubscribe/")
    assert codec.read_unsubscribe_token(url.rsplit("/", 1)[1], timedelta(days=30)) == "ann@customer.example"


def test_same_delivery_key_gives_the_same_message_id(sink, tmp_path):
    sender = make_sender(sink, tmp_path)
    first, second = sender.send("a@x.example", ack()), sender.send("a@x.example", ack())
    assert first.provider_id == second.provider_id
    assert sender.send("a@x.example", ack(idempotency_key="ack:other")).provider_id != first.provider_id


def test_cve_2024_6923_encoded_newline_in_copied_subject_cannot_inject_bcc(sink, tmp_path):
    inbound = (b"From: Eve <eve@attacker.example>\r\nTo: help@localhost\r\nMessage-ID: <evil@attacker.example>\r\n"
               b"Subject: =?utf-8?q?Help=0D=0ABcc:_victim@elsewhere.example=0A?=\r\n\r\nhello\r\n")
    message = parse_email(raw_of(inbound))
    sender = make_sender(sink, tmp_path)
    result = sender.send(sender.reply_target(message), ack(subject=f"Re: {message.subject}", reply_to=message.reply_to))
    assert result.ok
    [mail] = sink.wait_for(1)
    assert mail.rcpt_tos == ["eve@attacker.example"]
    parsed = email.message_from_bytes(mail.data, policy=policy.default)
    assert parsed["Bcc"] is None
    assert b"\nBcc:" not in mail.data and b"\rBcc:" not in mail.data
    assert parsed["Subject"] == "Re: Help Bcc: victim@elsewhere.example"


@pytest.mark.parametrize("value", ["a\nBcc: x@y", "a\r\nBcc: x@y", "a\rb", "a\x00b"])
def test_header_values_with_cr_lf_or_nul_are_refused(value):
    with pytest.raises(HeaderInjectionError):
        text_header("Subject", value)


def test_target_with_injection_is_a_failed_delivery_not_a_mail(sink, tmp_path):
    result = make_sender(sink, tmp_path).send("a@x.example\r\nBcc: v@y.example", ack())
    assert result.status == "failed" and not result.retryable
    assert sink.received == []


def test_non_ascii_subject_is_encoded_and_round_trips(sink, tmp_path):
    make_sender(sink, tmp_path).send("a@x.example", ack(subject="Re: Réclamation – commande n° 42 ✓"))
    [mail] = sink.wait_for(1)
    assert email.message_from_bytes(mail.data, policy=policy.default)["Subject"] == "Re: Réclamation – commande n° 42 ✓"
    assert mail.data.split(b"\r\n\r\n")[0].isascii()


def test_relay_refusals_map_to_retryable_or_final(sink, tmp_path):
    sender = make_sender(sink, tmp_path)
    sink.refuse_rcpt("450 4.2.1 mailbox busy")
    busy = sender.send("a@x.example", ack())
    sink.refuse_rcpt("550 5.1.1 no such user")
    gone = sender.send("a@x.example", ack())
    assert (busy.status, busy.retryable, busy.error[:3]) == ("failed", True, "450")
    assert (gone.status, gone.retryable, gone.error[:3]) == ("failed", False, "550")


def test_relay_down_is_a_retryable_failure(tmp_path):
    with SmtpSink() as gone:
        port = gone.port
    section = EmailSenderSettings(host="127.0.0.1", port=port, timeout="2s")
    sender = EmailSender(section, SenderContext(settings=Settings(data_dir=tmp_path)))
    result = sender.send("a@x.example", ack())
    assert result.status == "failed" and result.retryable


def test_commercial_template_needs_postal_address_and_carries_opt_out(sink, tmp_path):
    sender = make_sender(sink, tmp_path)
    refused = sender.send("a@x.example", ack(meta={"case_id": "1", "commercial": "true"}))
    assert refused.status == "failed" and "postal_address" in refused.error
    section = sender.settings
    settings = Settings(data_dir=tmp_path, organisation={"name": "Shop", "postal_address": "1 High St, Leeds"})
    commercial = EmailSender(section, SenderContext(settings=settings))
    assert commercial.send("a@x.example", ack(meta={"case_id": "1", "commercial": "true"})).ok
    body = email.message_from_bytes(sink.wait_for(1)[0].data, policy=policy.default).get_content()
    assert "1 High St, Leeds" in body and "/email/unsubscribe/" in body


def test_reply_target_is_reply_to_then_sender_and_email_only():
    inbound = b"From: ann@x.example\r\nReply-To: desk@x.example\r\nSubject: s\r\n\r\nhi"
    message = parse_email(raw_of(inbound))
    sender = EmailSender.__new__(EmailSender)
    assert sender.reply_target(message) == "desk@x.example"
    assert sender.reply_target(message.model_copy(update={"channel": "slack"})) is None


def test_tokens_expire_and_resist_tampering():
    codec = TokenCodec(b"k")
    issued = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    token = codec.unsubscribe_token("Ann@X.example", now=issued)
    assert codec.read_unsubscribe_token(token, timedelta(days=90), now=issued + 89 * 86400) == "ann@x.example"
    assert codec.read_unsubscribe_token(token, timedelta(days=90), now=issued + 91 * 86400) is None
    assert codec.read_unsubscribe_token(token[:-2] + "AA", timedelta(days=90), now=issued) is None
    assert TokenCodec(b"other").read_reply_token(codec.reply_token(7)) is None
    assert codec.read_reply_token(codec.reply_token(7).upper()) == 7


def test_acknowledgment_keeps_the_customer_subject_with_the_case_reference(sink, tmp_path):
    sender = make_sender(sink, tmp_path)
    sender.send("a@x.example", ack(reply_to={"message_id": "m@x", "subject": "Broken kettle"},
                                   meta={"case_id": "3", "case_ref": "FD-000003"}))
    sender.send("a@x.example", ack(reply_to={"message_id": "m@x", "subject": "RE: Broken kettle [FD-000003]"},
                                   meta={"case_id": "3", "case_ref": "FD-000003"}, idempotency_key="ack:2"))
    subjects = [email.message_from_bytes(mail.data, policy=policy.default)["Subject"] for mail in sink.wait_for(2)]
    assert subjects == ["Re: Broken kettle [FD-000003]", "RE: Broken kettle [FD-000003]"]


def test_recipient_cap_over_a_sliding_window_stops_ping_pong(sink, tmp_path, redis_url):
    connection = redis.Redis.from_url(redis_url)
    sender = make_sender(sink, tmp_path, connection, recipient_cap=2, recipient_cap_window="1h")
    results = [sender.send("bot@x.example", ack(idempotency_key=f"ack:{n}")) for n in range(4)]
    assert [result.status for result in results] == ["sent", "sent", "skipped", "skipped"]
    assert "recipient cap" in results[2].detail
    assert sender.send("person@x.example", ack()).ok
    assert sender.send("bot@x.example", ack(kind="page")).ok  # pages to staff are essential
    assert len(sink.wait_for(4)) == 4


def test_an_outbox_takes_the_mail_the_relay_would_have_had(sink, tmp_path):
    outbox = tmp_path / "outbox"
    result = make_sender(sink, tmp_path, outbox=str(outbox)).send("ann@customer.example", ack())
    assert result.ok and result.detail.startswith(f"written to {outbox / 'new'}")
    [path] = (outbox / "new").iterdir()
    assert result.detail == f"written to {path}"
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == f"<{result.provider_id}>" and parsed["To"] == "ann@customer.example"
    assert parsed["In-Reply-To"] == "<orig@customer.example>"
    assert b"\r\n" not in path.read_bytes()  # a Maildir file, as mail readers expect it
    assert parsed.get_content().strip() == "We have your message (case #12)."
    assert sink.received == []  # nothing went to the relay


def test_an_outbox_that_cannot_be_written_is_a_retryable_failure(sink, tmp_path):
    blocked = tmp_path / "outbox"
    blocked.write_text("a file where the Maildir should be")
    result = make_sender(sink, tmp_path, outbox=str(blocked)).send("ann@customer.example", ack())
    assert result.status == "failed" and result.retryable and result.error.startswith("outbox: ")


def test_the_body_is_quoted_printable_readable_as_sent_with_short_lines(sink, tmp_path):
    text = "Grüße, we have your message — case FD-000012.\n" + "word " * 60 + "\nLast line \n"
    make_sender(sink, tmp_path).send("ann@customer.example", ack(text=text))
    [mail] = sink.wait_for(1)
    parsed = email.message_from_bytes(mail.data, policy=policy.default)
    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"  # spam filters score base64 text
    assert parsed.get_content().replace("\r\n", "\n") == text
    raw_body = mail.data.split(b"\r\n\r\n", 1)[1]
    assert b"we have your message" in raw_body and b"Gr=C3=BC=C3=9Fe" in raw_body
    assert max(len(line) for line in raw_body.split(b"\r\n")) <= 76
