"""Replies and direct mentions on Mastodon through Mastodon.py.

Endpoint: `POST /api/v1/statuses` with `in_reply_to_id`, `visibility` and an
`Idempotency-Key` header (https://docs.joinmastodon.org/methods/statuses/#create),
so a re-sent delivery never posts twice. A "DM" on Mastodon is a status of
visibility `direct` that mentions the customer.
"""

from __future__ import annotations

from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError, MastodonNetworkError, MastodonNotFoundError, MastodonRatelimitError, MastodonServerError,
)

from config.social import MastodonSenderSettings
from frontdesk.mentions.clients import mastodon_client
from frontdesk.models import DeliveryResult, Message, Rendered
from frontdesk.sender import SenderContext
from outbound.public_policy import public_reply_text, settled_before_sending

STATUS_LIMIT = 500


class MastodonSender:
    """Answers a mention under it (public or unlisted), or in a direct status, as the urgency asks."""

    slug = "mastodon"
    resend_safe = True  # the instance dedupes on the Idempotency-Key header

    def __init__(self, settings: MastodonSenderSettings, context: SenderContext):
        self.settings = settings
        self._client: Mastodon | None = None

    @property
    def client(self) -> Mastodon:
        """The Mastodon.py client, built on first use."""
        if self._client is None:
            token = self.settings.access_token.get_secret_value() if self.settings.access_token else None
            self._client = mastodon_client(token, self.settings.api_base_url, self.settings.timeout.total_seconds())
        return self._client

    def reply_target(self, message: Message) -> str | None:
        """The status id to answer under."""
        return message.reply_to.get("status_id") or None

    def send(self, target: str, rendered: Rendered) -> DeliveryResult:
        """Post the reply; a deleted status or refusal is a failed result, 429, 5xx and network errors retryable."""
        settled = settled_before_sending(self.settings, target, rendered, self.settings.access_token_env,
                                         self.settings.access_token is not None)
        if settled is not None:
            return settled
        mode = self.settings.mode(rendered.meta.get("urgency", "normal"))
        acct = rendered.reply_to.get("acct", "")
        direct = mode == "dm" or rendered.reply_to.get("visibility") == "direct"
        if direct:
            text = f"@{acct} {rendered.text}"[:STATUS_LIMIT] if acct else rendered.text[:STATUS_LIMIT]
        else:
            text = public_reply_text(rendered.meta.get("case_ref", ""), self.settings.private_channel, acct,
                                     limit=STATUS_LIMIT)
        try:
            status = self.client.status_post(
                text, in_reply_to_id=target, visibility="direct" if direct else self.settings.visibility,
                idempotency_key=rendered.idempotency_key or None,
            )
        except (MastodonRatelimitError, MastodonNetworkError, MastodonServerError) as error:
            return DeliveryResult(target=target, status="failed", retryable=True, error=type(error).__name__)
        except MastodonNotFoundError:
            return DeliveryResult(target=target, status="failed", error="status deleted or not visible (404)")
        except MastodonAPIError as error:
            code = error.args[1] if len(error.args) > 1 else "?"
            return DeliveryResult(target=target, status="failed", error=f"HTTP {code}: refused",
                                  detail=str(error.args[-1])[:500])
        return DeliveryResult(target=target, status="sent", provider_id=str(status["id"]),
                              detail="direct status" if direct else "public reply")
