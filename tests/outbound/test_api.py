"""ApiSender against a real loopback receiver: signed as Standard Webhooks says, and every way a
callback can fail is a result the worker can act on (retry or give up), never an exception."""

from __future__ import annotations

import socket

import pytest
from standardwebhooks import Webhook

from frontdesk.models import Rendered
from frontdesk.sender import SenderContext
from outbound.api import ApiSender
from tests.harness import WEBHOOK_SECRET


def rendered() -> Rendered:
    return Rendered(kind="ack", subject="Re: parcel", text="Thank you, we have your message.",
                    idempotency_key="ack:01TESTMESSAGE", meta={"case_id": "7", "case_ref": "FD-7",
                                                               "external_id": "default:m-1"})


def sender_for(make_settings, callback_url: str, timeout: str = "5s") -> ApiSender:
    settings = make_settings(channels={"api": {"clients": [{"name": "default", "callback_url": callback_url}]}},
                             outbound={"api": {"timeout": timeout}})
    return ApiSender(settings.outbound.api, SenderContext(settings=settings))


def test_a_sent_acknowledgment_is_signed_and_verifies(make_settings, receiver):
    result = sender_for(make_settings, f"{receiver.url}/ack").send("default", rendered())

    assert result.ok and result.provider_id == "ack:01TESTMESSAGE" and result.detail == "HTTP 200"
    [request] = receiver.on("/ack")
    assert request.headers["webhook-id"] == "ack:01TESTMESSAGE"
    payload = Webhook(WEBHOOK_SECRET).verify(request.body, request.headers)
    assert payload["type"] == "frontdesk.ack" and payload["data"]["case_id"] == 7
    assert payload["data"]["external_id"] == "default:m-1"


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (429, True), (408, True),
                                                   (400, False), (404, False), (301, False)])
def test_an_error_status_is_a_failure_retried_only_when_it_may_pass(make_settings, receiver, status, retryable):
    receiver.status = status
    result = sender_for(make_settings, f"{receiver.url}/ack").send("default", rendered())

    assert result.status == "failed" and result.retryable is retryable and result.error == f"HTTP {status}"
    assert len(receiver.on("/ack")) == 1  # never followed a redirect or retried on its own


def test_a_receiver_that_is_gone_is_a_retryable_failure(make_settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = sender_for(make_settings, f"http://127.0.0.1:{port}/ack").send("default", rendered())

    assert result.status == "failed" and result.retryable and result.error == "ConnectionRefusedError"


def test_a_receiver_that_does_not_answer_in_time_is_a_retryable_failure(make_settings, receiver):
    receiver.delay = 2.0
    result = sender_for(make_settings, f"{receiver.url}/ack", timeout="0.3s").send("default", rendered())

    assert result.status == "failed" and result.retryable and result.error == "TimeoutError"


def test_a_client_without_callback_or_secret_fails_without_sending(make_settings, receiver):
    settings = make_settings(channels={"api": {"clients": [{"name": "quiet"}]}})
    sender = ApiSender(settings.outbound.api, SenderContext(settings=settings))

    assert sender.send("quiet", rendered()).error == "client has no callback_url configured"
    assert sender.send("nobody", rendered()).status == "failed"
    assert receiver.requests == []
