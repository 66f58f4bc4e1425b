"""Settings of the web chat channel (`channels.webchat` in the YAML).

The web chat is reached by anonymous visitors, so every limit it enforces is
a setting here: which sites may embed it, how big a message may be, how fast
a visitor may type, how many sockets one address may hold.
"""

from __future__ import annotations

import re
from datetime import timedelta

from limits import parse as parse_rate
from pydantic import Field, SecretStr, field_validator, model_validator

from config.types import Duration, Section

_ORIGIN = re.compile(r"^https?://[a-z0-9.\-\[\]:]+$")


class WebchatRateLimits(Section):
    """Rate limits in the `limits` library's notation (`20/10seconds`, `120/minute`)."""

    per_connection: str = "20/10seconds"
    per_ip: str = "120/minute"
    conversations_per_ip: str = "20/minute"

    @field_validator("per_connection", "per_ip", "conversations_per_ip")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            parse_rate(value)
        except ValueError:
            raise ValueError(f"not a rate limit: {value!r} (use e.g. 20/10seconds, 120/minute)") from None
        return value


class WebchatChannelSettings(Section):
    """The web chat: widget, WebSocket at `/chat/ws`, REST fallback at `/chat/messages` and `/chat/events`.

    `allowed_origins` lists the sites (`https://shop.example`, no path, no
    trailing slash) whose pages may embed the widget; the server's own origin
    is always allowed. `secret` signs conversation tokens; without one, a key
    is generated once and kept in the data directory (every server process
    sharing that directory shares it).
    """

    enabled: bool = True
    allowed_origins: list[str] = Field(default_factory=list)
    secret_env: str = "FRONTDESK_WEBCHAT_SECRET"
    secret: SecretStr | None = Field(None, json_schema_extra={"secret_env": "secret_env"})
    title: str = Field("Contact us", min_length=1, max_length=80)
    complaint_form: bool = True
    max_message_bytes: int = Field(16 * 1024, ge=1024, le=64 * 1024)
    max_sockets_per_ip: int = Field(20, ge=1, le=100_000)
    heartbeat: Duration = timedelta(seconds=30)
    idle_timeout: Duration = timedelta(minutes=30)
    hello_timeout: Duration = timedelta(seconds=10)
    stream_timeout: Duration = timedelta(seconds=25)
    history_limit: int = Field(200, ge=1, le=5000)
    trust_x_forwarded_for: bool = False
    rate_limits: WebchatRateLimits = Field(default_factory=WebchatRateLimits)

    @field_validator("allowed_origins")
    @classmethod
    def _exact_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin == "*" or "*" in origin:
                raise ValueError("wildcard origins are not allowed: list each site exactly")
            if not _ORIGIN.match(origin):
                raise ValueError(f"not an origin (scheme://host[:port], lower case, no path): {origin!r}")
        return origins

    @model_validator(mode="after")
    def _secret_long_enough(self) -> "WebchatChannelSettings":
        # Runs after Section has filled the secret from the environment.
        if self.secret is not None and len(self.secret.get_secret_value()) < 32:
            raise ValueError(f"the secret in ${self.secret_env} must be at least 32 characters")
        return self
