"""channels/email/reports.py: a DSN about our acknowledgment lands on that delivery and suppresses the address."""

from __future__ import annotations

import email
import smtplib
from email import policy

import pytest
from sqlalchemy import select

from channels.email.adapter import EmailAdapter
from frontdesk.store.cases import is_opted_out
from frontdesk.store.tables import Delivery
from tests.channels.email.helpers import cases, complaint, email_overrides, smtp_port
from tests.channels.email.test_parse import raw_of
from tests.fakes.smtp_sink import SmtpSink


def dsn(original_message_id: str, status: str = "5.1.1", action: str = "failed") -> bytes:
    return (
        "From: MAILER-DAEMON@relay.example (Mail Delivery System)\r\nTo: help@localhost\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@relay.example>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example\r\n\r\n"
        f"Final-Recipient: rfc822; ann@customer.example\r\nAction: {action}\r\nStatus: {status}\r\n\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{original_message_id}>\r\nFrom: help@localhost\r\nTo: ann@customer.example\r\n"
        "--b--\r\n"
    ).encode()


@pytest.fixture
def acknowledged(make_platform):
    with SmtpSink() as sink:
        platform = make_platform(**email_overrides(sink))
        with smtplib.SMTP("127.0.0.1", smtp_port(platform), timeout=10) as client:
            client.sendmail("ann@customer.example", ["help@localhost"], complaint(1))
        platform.work()
        [ack] = sink.wait_for(1)
        yield platform, email.message_from_bytes(ack.data, policy=policy.default)["Message-ID"].strip("<>")


@pytest.mark.parametrize("status, action, permanent", [("5.1.1", "failed", True), ("4.2.2", "delayed", False)])
def test_report_lands_on_its_delivery(acknowledged, status, action, permanent):
    platform, our_id = acknowledged
    report = EmailAdapter.parse(raw_of(dsn(our_id, status, action)))
    sessions = platform.services.sessions
    with sessions.begin() as session:
        assert EmailAdapter.attach_report(session, report) is True
    with sessions() as session:
        delivery = session.scalars(select(Delivery).where(Delivery.provider_id == our_id)).one()
        assert delivery.detail["report"]["status"] == status
        assert (delivery.status == "failed") is permanent
        assert is_opted_out(session, "email", "ann@customer.example") is permanent
    [case] = cases(platform)
    kinds = [event["kind"] for event in platform.http.get(f"{platform.url}/api/cases/{case['id']}").json()["events"]]
    assert "delivery_report" in kinds


def test_report_about_mail_we_never_sent_is_not_attached(acknowledged):
    platform, _ = acknowledged
    report = EmailAdapter.parse(raw_of(dsn("someone-else@elsewhere.example")))
    with platform.services.sessions.begin() as session:
        assert EmailAdapter.attach_report(session, report) is True
    assert EmailAdapter.attach_report(None, EmailAdapter.parse(raw_of(complaint(2)))) is False


def test_bounce_of_our_acknowledgment_lands_on_its_case_not_a_new_one(acknowledged):
    platform, our_id = acknowledged
    with smtplib.SMTP("127.0.0.1", smtp_port(platform), timeout=10) as client:
        client.sendmail("", ["help@localhost"], dsn(our_id))
    platform.work()
    [case] = cases(platform)
    assert case["message_count"] == 1  # the report is recorded on the delivery's case, not added as a message
    detail = platform.http.get(f"{platform.url}/api/cases/{case['id']}").json()
    reports = [event for event in detail["events"] if event["kind"] == "delivery_report"]
    assert len(reports) == 1
