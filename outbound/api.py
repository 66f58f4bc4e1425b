"""Acknowledgments for the generic channel: a signed webhook to the client's callback URL.

Signed per the Standard Webhooks specification (https://www.standardwebhooks.com/,
headers `webhook-id`, `webhook-timestamp`, `webhook-signature`) with the
`standardwebhooks` library. The webhook id is the delivery's idempotency key,
so a receiver that dedupes on it (as the specification asks) never acts twice.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import requests
from standardwebhooks import Webhook

from config.schema import ApiClientSettings, WebhookSenderSettings
from frontdesk.models import DeliveryResult, Message, Rendered
from frontdesk.sender import SenderContext


class ApiSender:
    """POSTs acknowledgments to the callback URL of the client that sent the message."""

    slug = "api"
    resend_safe = True  # receivers dedupe on webhook-id

    def __init__(self, settings: WebhookSenderSettings, context: SenderContext):
        self.settings = settings
        self.clients = {client.name: client for client in context.settings.channels.api.clients}
        self.session = requests.Session()

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
        headers = signed_headers(client, rendered.idempotency_key or "unkeyed", body)
        try:
            response = self.session.post(client.callback_url, data=body.encode(), headers=headers,
                                         timeout=self.settings.timeout.total_seconds(), allow_redirects=False)
        except requests.RequestException as error:
            return DeliveryResult(target=target, status="failed", retryable=True, error=type(error).__name__)
        if 200 <= response.status_code < 300:
            return DeliveryResult(target=target, status="sent", provider_id=headers["webhook-id"],
                                  detail=f"HTTP {response.status_code}")
        retryable = response.status_code in (408, 429) or response.status_code >= 500
        return DeliveryResult(target=target, status="failed", retryable=retryable,
                              error=f"HTTP {response.status_code}")


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


def signed_headers(client: ApiClientSettings, webhook_id: str, body: str) -> dict[str, str]:
    """Standard Webhooks headers for `body`."""
    timestamp = datetime.now(timezone.utc)
    signature = Webhook(client.callback_secret.get_secret_value()).sign(webhook_id, timestamp, body)
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
