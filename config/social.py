"""Settings of the public social channels (`channels.x`, `channels.mastodon`), their senders
(`outbound.x`, `outbound.mastodon`) and the cross-network mentions view (`mentions:`).

Tokens are secrets: the YAML names the environment variable, never the value.
X and Mastodon share the public-reply policy (`PublicReplySettings`): what to
do per urgency, the hourly cap, the invitation to a private channel.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr, field_validator

from config.types import Duration, Section

X_API_URL = "https://api.x.com"


def _base_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value.rstrip("/")


BaseUrl = Annotated[str, AfterValidator(_base_url)]
ReplyMode = Literal["public", "dm", "silent"]
ACCOUNT = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


class SocialPollSettings(Section):
    """What every social poller shares: which account, what to search, how often, how much per poll."""

    enabled: bool = False
    account: str = Field("default", pattern=ACCOUNT)
    queries: list[str] = Field(default_factory=list)
    poll_interval: Duration = timedelta(seconds=60)
    page_size: int = Field(100, ge=5, le=100)
    max_pages: int = Field(20, ge=1, le=200)
    timeout: Duration = timedelta(seconds=15)
    error_backoff: Duration = timedelta(seconds=30)

    @field_validator("queries")
    @classmethod
    def _queries_unique(cls, queries: list[str]) -> list[str]:
        if any(not query.strip() for query in queries):
            raise ValueError("queries may not be empty")
        if len(queries) != len(set(queries)):
            raise ValueError(f"queries must be unique: {queries}")
        return queries


class XChannelSettings(SocialPollSettings):
    """X intake: the account's mentions and `queries` (X search syntax) through API v2.

    `user_id` is our account's numeric id; left empty, the poller asks
    `users/me` once. `bearer_token` must be a token that may read mentions
    (an OAuth 2.0 user-context token; an app-only token suffices for search).
    """

    user_id: str | None = Field(None, pattern=r"^\d{1,20}$")
    bearer_token_env: str = "X_BEARER_TOKEN"
    bearer_token: SecretStr | None = Field(None, json_schema_extra={"secret_env": "bearer_token_env"})
    api_base_url: BaseUrl = X_API_URL


class MastodonChannelSettings(SocialPollSettings):
    """Mastodon intake: mention notifications and `hashtags` timelines, streamed with a polling fallback.

    `queries` are plain keywords matched by the instance's full-text search
    (only instances with search enabled answer them); `hashtags` are without `#`.
    """

    api_base_url: BaseUrl = "https://mastodon.social"
    access_token_env: str = "MASTODON_ACCESS_TOKEN"
    access_token: SecretStr | None = Field(None, json_schema_extra={"secret_env": "access_token_env"})
    hashtags: list[str] = Field(default_factory=list)
    streaming: bool = True
    stream_reconnect: Duration = timedelta(seconds=30)

    @field_validator("hashtags")
    @classmethod
    def _bare_tags(cls, tags: list[str]) -> list[str]:
        bad = [tag for tag in tags if not re.match(r"^\w{1,100}$", tag)]
        if bad:
            raise ValueError(f"hashtags are written without '#', letters/digits/_ only: {bad}")
        return tags


class PublicReplySettings(Section):
    """How we answer in public: per urgency `public`, `dm` or `silent`; a cap per hour; where to go private.

    Public replies never carry more than the case reference; `private_channel`
    is the sentence inviting the customer somewhere private (a DM, the web
    chat link, an email address).
    """

    replies: dict[Literal["critical", "high", "normal", "low"], ReplyMode] = Field(
        default_factory=lambda: {"critical": "dm", "high": "public", "normal": "public", "low": "silent"},
    )
    hourly_cap: int = Field(20, ge=0, le=1000)
    private_channel: str = Field("Please send us a direct message so we can help privately.", max_length=160)
    timeout: Duration = timedelta(seconds=15)

    def mode(self, urgency: str) -> ReplyMode:
        """The reply mode for a case of this urgency (unlisted urgencies stay silent)."""
        return self.replies.get(urgency, "silent")


class XSenderSettings(PublicReplySettings):
    """Replies and DMs on X; `access_token` is an OAuth 2.0 user-context token with tweet.write and dm.write."""

    user_id: str | None = Field(None, pattern=r"^\d{1,20}$")
    access_token_env: str = "X_ACCESS_TOKEN"
    access_token: SecretStr | None = Field(None, json_schema_extra={"secret_env": "access_token_env"})
    api_base_url: BaseUrl = X_API_URL


class MastodonSenderSettings(PublicReplySettings):
    """Replies (`unlisted`) and direct mentions on Mastodon."""

    account_id: str | None = Field(None, pattern=r"^\w{1,64}$")
    api_base_url: BaseUrl = "https://mastodon.social"
    access_token_env: str = "MASTODON_ACCESS_TOKEN"
    access_token: SecretStr | None = Field(None, json_schema_extra={"secret_env": "access_token_env"})
    visibility: Literal["public", "unlisted"] = "unlisted"


class SpikeSettings(Section):
    """Spikes: negative mentions in the current `window` far above the rolling mean of the windows before.

    A spike is `deviations` standard deviations over the mean of the last
    `baseline_windows` windows, and at least `min_count`; marketing is alerted once.
    """

    window: Duration = timedelta(minutes=15)
    baseline_windows: int = Field(24, ge=3, le=2000)
    deviations: float = Field(3.0, gt=0, le=20)
    min_count: int = Field(10, ge=1)
    negative_below: float = Field(-0.05, ge=-1, le=0)
    examples: int = Field(3, ge=0, le=10)


class MentionsSettings(Section):
    """The mentions view for marketing and its spike alerts.

    `alert_url` is an Apprise URL (slack://…, mailto://…, json://…) read from
    the environment variable `alert_url_env`, since such URLs embed tokens.
    """

    spike: SpikeSettings = Field(default_factory=SpikeSettings)
    check_interval: Duration = timedelta(minutes=1)
    alert_url_env: str = "FRONTDESK_MENTIONS_ALERT_URL"
    alert_url: SecretStr | None = Field(None, json_schema_extra={"secret_env": "alert_url_env"})
    feed_limit: int = Field(200, ge=10, le=5000)
