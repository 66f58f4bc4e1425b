"""channels/email/unsubscribe.py: RFC 8058 one-click, the confirmation page, the operator's API, and reply opt-outs."""

from __future__ import annotations

import email
import smtplib
from email import policy

import pytest
import requests

from tests.channels.email.helpers import cases, complaint, email_overrides, smtp_port
from tests.fakes.smtp_sink import SmtpSink
from tests.harness import API_TOKEN


@pytest.fixture
def sink():
    with SmtpSink() as running:
        yield running


def send(port: int, raw: bytes, sender: str = "ann@customer.example") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, ["help@localhost"], raw)


def unsubscribe_url(platform, mail) -> str:
    header = email.message_from_bytes(mail.data, policy=policy.default)["List-Unsubscribe"]
    url = header.split(",")[0].strip(" <>")
    return platform.url + url[url.index("/email/unsubscribe/"):]


def events(platform, case_id: int) -> list[str]:
    detail = platform.http.get(f"{platform.url}/api/cases/{case_id}", timeout=10).json()
    return [event["kind"] for event in detail["events"]]


def test_one_click_post_opts_out_and_get_only_confirms(make_platform, sink):
    platform = make_platform(**email_overrides(sink))
    port = smtp_port(platform)
    send(port, complaint(1))
    platform.work()
    url = unsubscribe_url(platform, sink.wait_for(1)[0])

    shown = requests.get(url, timeout=10)
    assert shown.status_code == 200 and "ann@customer.example" in shown.text and "<form" in shown.text
    resolve_all(platform)
    send(port, complaint(2, subject="Second problem: the lid"))
    platform.work()
    assert len(sink.wait_for(2)) == 2  # a GET changed nothing
    resolve_all(platform)

    done = requests.post(url, data="List-Unsubscribe=One-Click", timeout=10,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and "no further" in done.text
    assert requests.post(url, data="List-Unsubscribe=One-Click", timeout=10).status_code == 200
    latest = max(case["id"] for case in cases(platform))
    assert "opted_out" in events(platform, latest)

    send(port, complaint(3, subject="Third problem: the plug"))
    platform.work()
    assert len(cases(platform)) == 3
    assert len(sink.wait_for(3, timeout=1)) == 2


def resolve_all(platform) -> None:
    for case in cases(platform):
        platform.http.post(f"{platform.url}/api/cases/{case['id']}/resolve", json={"by": "test"}, timeout=10)


def test_bad_or_forged_token_is_refused(make_platform):
    platform = make_platform(**email_overrides(None))
    for token in ("nonsense", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"):
        assert requests.get(f"{platform.url}/email/unsubscribe/{token}", timeout=10).status_code == 404
        assert requests.post(f"{platform.url}/email/unsubscribe/{token}", timeout=10).status_code == 404


def test_operator_api_opts_out_and_needs_a_token(make_platform, sink):
    platform = make_platform(**email_overrides(sink))
    api = f"{platform.url}/api/email/opt-outs"
    assert requests.post(api, json={"address": "ann@customer.example"}, timeout=10).status_code == 401
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    assert requests.post(api, json={"address": "not an address"}, headers=headers, timeout=10).status_code == 400
    first = requests.post(api, json={"address": "Ann@Customer.example"}, headers=headers, timeout=10)
    assert first.status_code == 201 and first.json()["new"] is True
    assert requests.post(api, json={"address": "ann@customer.example"}, headers=headers, timeout=10).json()["new"] is False
    send(smtp_port(platform), complaint(4))
    platform.work()
    assert [case["message_count"] for case in cases(platform)] == [1]
    assert sink.wait_for(1, timeout=1) == []


def test_unsubscribe_reply_opts_out(make_platform, sink):
    platform = make_platform(**email_overrides(sink))
    port = smtp_port(platform)
    send(port, complaint(5, subject="unsubscribe"))
    platform.work()
    [case] = cases(platform)
    assert "regulatory" in case["categories"]
    assert "opted_out" in events(platform, case["id"])
    send(port, complaint(6, subject="Another complaint about the kettle"))
    platform.work()
    assert sink.wait_for(1, timeout=1) == []
