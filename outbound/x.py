"""Replies and direct messages on X through tweepy's API v2 Client.

Endpoints: `POST /2/tweets` with `reply.in_reply_to_tweet_id`
(https://docs.x.com/x-api/posts/create-post) and
`POST /2/dm_conversations/with/:participant_id/messages`
(https://docs.x.com/x-api/direct-messages/create-dm-message). Per urgency the
operator chooses a public reply, a DM or silence (`outbound.x.replies`); the
public text is fixed by outbound.public_policy and never carries case details.
"""

from __future__ import annotations

import requests
import tweepy

from config.social import XSenderSettings
from frontdesk.mentions.clients import x_client
from frontdesk.models import DeliveryResult, Message, Rendered
from frontdesk.sender import SenderContext
from outbound.public_policy import public_reply_text, settled_before_sending

DM_LIMIT = 10_000


class XSender:
    """Answers a mention in its thread, or by DM, as the case's urgency asks."""

    slug = "x"
    resend_safe = False  # X has no idempotency key for posts: an unknown outcome is not re-sent

    def __init__(self, settings: XSenderSettings, context: SenderContext):
        self.settings = settings
        self._client: tweepy.Client | None = None

    @property
    def client(self) -> tweepy.Client:
        """The tweepy client, built on first use."""
        if self._client is None:
            token = self.settings.access_token.get_secret_value() if self.settings.access_token else ""
            self._client = x_client(token, self.settings.api_base_url, self.settings.timeout.total_seconds())
        return self._client

    def reply_target(self, message: Message) -> str | None:
        """The mention's tweet id; None for anything not a public tweet."""
        return message.reply_to.get("tweet_id") if message.public else None

    def send(self, target: str, rendered: Rendered) -> DeliveryResult:
        """Reply to tweet `target` (or DM its author); platform refusals become failed results, 429 retryable."""
        settled = settled_before_sending(self.settings, target, rendered, self.settings.access_token_env,
                                         self.settings.access_token is not None)
        if settled is not None:
            return settled
        mode = self.settings.mode(rendered.meta.get("urgency", "normal"))
        try:
            if mode == "dm":
                return self._direct_message(target, rendered)
            text = public_reply_text(rendered.meta.get("case_ref", ""), self.settings.private_channel)
            answer = self.client.create_tweet(text=text, in_reply_to_tweet_id=target, user_auth=False)
        except tweepy.HTTPException as error:
            return refused(target, error)
        except requests.RequestException as error:
            return DeliveryResult(target=target, status="failed", retryable=True, error=type(error).__name__)
        return DeliveryResult(target=target, status="sent", provider_id=str(answer["data"]["id"]), detail="public reply")

    def _direct_message(self, target: str, rendered: Rendered) -> DeliveryResult:
        author = rendered.reply_to.get("author_id", "")
        if not author:
            return DeliveryResult(target=target, status="failed", error="no author id to send a DM to")
        answer = self.client.create_direct_message(participant_id=author, text=rendered.text[:DM_LIMIT], user_auth=False)
        return DeliveryResult(target=target, status="sent", provider_id=str(answer["data"]["dm_event_id"]),
                              detail=f"direct message to {author}")


def refused(target: str, error: tweepy.HTTPException) -> DeliveryResult:
    """An X error answer as a failed result: 429 and 5xx may be retried, refusals (deleted, blocked) not."""
    status = error.response.status_code
    why = "; ".join(str(message) for message in error.api_messages) or str(error)
    if isinstance(error, tweepy.TooManyRequests):
        reset = error.response.headers.get("x-rate-limit-reset", "")
        return DeliveryResult(target=target, status="failed", retryable=True, error="rate limited (429)",
                              detail=f"x-rate-limit-reset={reset}")
    retryable = status >= 500
    kind = {400: "tweet deleted or invalid", 403: "refused (blocked, not allowed or duplicate)"}.get(status, "error")
    return DeliveryResult(target=target, status="failed", retryable=retryable,
                          error=f"HTTP {status}: {kind}", detail=why[:500])
