"""Email threading end to end: reply token, unrelated mail, same subject, someone else's case reference."""

from __future__ import annotations

import email
import smtplib
from email import policy

from tests.channels.email.helpers import cases, complaint, email_overrides, smtp_port
from tests.fakes.smtp_sink import SmtpSink


def send(port: int, raw: bytes, sender: str, to: str = "help@localhost") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, [to], raw)


def counts(platform) -> list[int]:
    return [case["message_count"] for case in sorted(cases(platform), key=lambda case: case["id"])]


def test_email_threads_in_issue_order(make_platform):
    with SmtpSink() as sink:
        platform = make_platform(**email_overrides(sink))
        port = smtp_port(platform)
        ann = "ann@customer.example"
        send(port, complaint(1, sender=ann, subject="Broken kettle lid and handle"), ann)
        platform.work()
        ack = email.message_from_bytes(sink.wait_for(1)[0].data, policy=policy.default)
        reply_address = ack["Reply-To"].addresses[0].addr_spec

        # A reply to our Reply-To address, new subject, no threading headers: the signed token finds the case.
        send(port, complaint(2, sender=ann, subject="one more thing"), ann, to=reply_address)
        platform.work()
        assert counts(platform) == [2]

        # An unrelated mail from the same person is a new complaint.
        send(port, complaint(3, sender=ann, subject="Wrong amount on my invoice"), ann)
        platform.work()
        assert counts(platform) == [2, 1]

        # Same subject from the same person, no headers: back to the first case.
        send(port, complaint(4, sender=ann, subject="RE: Broken kettle lid and handle"), ann)
        platform.work()
        assert counts(platform) == [3, 1]

        # Someone else quoting that case's reference does not get into it.
        first = min(case["id"] for case in cases(platform))
        send(port, complaint(5, sender="eve@else.example", subject=f"About FD-{first:06d}"), "eve@else.example")
        platform.work()
        assert counts(platform) == [3, 1, 1]
