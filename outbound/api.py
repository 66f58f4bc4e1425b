"""Acknowledgments for the generic channel: a signed webhook to the client's callback URL.

Signed per the Standard Webhooks specification (https://www.standardwebhooks.com/,
headers `webhook-id`, `webhook-timestamp`, `webhook-signature`) with the
`standardwebhooks` library. The webhook id is the delivery's idempotency key,
so a receiver that dedupes on it (as the specification asks) never acts twice.

Sent over outbound/keepalive.py's connection pool (the standard library's
http.client), one per client, shared by the delivery threads: requests and
urllib3 cost two to three times the POST itself. Proxies from the environment
are honoured, decided once per client.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from http.client import HTTPException

from standardwebhooks import Webhook

from config.schema import WebhookSenderSettings
from frontdesk.models import DeliveryResult, Message, Rendered
from frontdesk.sender import SenderContext
from outbound.keepalive import KeepAlivePool

POOL_SIZE = 8  # kept connections per callback URL: one per delivery thread (workers/runtime.py SEND_THREADS)


class ApiSender:
    """POSTs acknowledgments to the callback URL of the client that sent the message."""

    slug = "api"
    resend_safe = True  # receivers dedupe on webhook-id

    def __init__(self, settings: WebhookSenderSettings, context: SenderContext):
        self.settings = settings
        self.clients = {client.name: client for client in context.settings.channels.api.clients}
        self.pools = {client.name: KeepAlivePool(client.callback_url, POOL_SIZE, settings.timeout.total_seconds())
                      for client in self.clients.values() if client.callback_url}
        self.signers = {client.name: Webhook(client.callback_secret.get_secret_value())
                        for client in self.clients.values() if client.callback_secret is not None}

    def reply_target(self, message: Message) -> str | None:
        """The client's name when it has a callback URL; the URL is looked up at send time."""
        client = self.clients.get(message.reply_to.get("client", ""))
        return client.name if client is not None and client.callback_url else None

    def send(self, target: str, rendered: Rendered) -> DeliveryResult:
        """Sign and POST; 2xx is sent, 408/429/5xx and network errors are retryable failures."""
        client = self.clients.get(target)
        if client is None or not client.callback_url:
            return DeliveryResult(target=target, status="failed", error="client has no callback_url configured")
        if client.callback_secret is None:
            return DeliveryResult(target=target, status="failed",
                                  error=f"no webhook secret in ${client.callback_secret_env}")
        body = json.dumps(payload(rendered), separators=(",", ":"))
        headers = signed_headers(self.signers[target], rendered.idempotency_key or "unkeyed", body)
        try:
            status = self.pools[target].post(body.encode(), headers)
        except (OSError, HTTPException) as error:  # no answer: refused, timed out, reset, TLS
            return DeliveryResult(target=target, status="failed", retryable=True, error=type(error).__name__)
        if 200 <= status < 300:
            return DeliveryResult(target=target, status="sent", provider_id=headers["webhook-id"],
                                  detail=f"HTTP {status}")
        retryable = status in (408, 429) or status >= 500
        return DeliveryResult(target=target, status="failed", retryable=retryable, error=f"HTTP {status}")


def payload(rendered: Rendered) -> dict:
    """The JSON body of an acknowledgment webhook."""
    return {
        "type": f"frontdesk.{rendered.kind}",
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "data": {
            "case_id": int(rendered.meta["case_id"]) if "case_id" in rendered.meta else None,
            "case_ref": rendered.meta.get("case_ref"),
            "message_id": rendered.meta.get("message_id"),
            "external_id": rendered.meta.get("external_id"),
            "subject": rendered.subject,
            "text": rendered.text,
        },
    }


def signed_headers(signer: Webhook, webhook_id: str, body: str) -> dict[str, str]:
    """Standard Webhooks headers for `body`."""
    timestamp = datetime.now(timezone.utc)
    signature = signer.sign(webhook_id, timestamp, body)
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
