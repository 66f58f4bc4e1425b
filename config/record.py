"""Settings of the record and of personal data: encryption at rest and retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from config.types import Duration, Section
from frontdesk.models import Category


class EncryptionSettings(Section):
    """Encryption at rest of raw payloads and attachments.

    The environment variable named by `keys_env` holds comma-separated AES-256
    keys in URL-safe base64 (`frontdesk keys generate` makes one): the first
    seals new data, all of them open old data. Unset, payloads are stored unencrypted (a warning
    says so at start-up). Rotate with `frontdesk keys rotate`.
    """

    keys_env: str = "FRONTDESK_DATA_KEYS"
    keys: SecretStr | None = Field(None, json_schema_extra={"secret_env": "keys_env"})
    required: bool = False


class RetentionPolicy(Section):
    """How long a case is kept after it was resolved (or last heard of, if still open), and what happens then.

    `redact` removes the personal data and keeps the case's statistics
    (channel, category, urgency, times, counts); `delete` removes the case.
    """

    after: Duration
    action: Literal["redact", "delete"] = "redact"


class RetentionSettings(Section):
    """Per-category retention, the purge's schedule, and how long Redis keeps job records."""

    enabled: bool = True
    interval: Duration = timedelta(hours=1)
    default: RetentionPolicy = Field(default_factory=lambda: RetentionPolicy(after=timedelta(days=730)))
    categories: dict[Category, RetentionPolicy] = Field(default_factory=dict)
    # RQ job records, finished or failed, and any other Redis key that may hold personal data.
    job_records: Duration = timedelta(days=7)
    batch_size: int = Field(200, ge=1, le=5000)

    @model_validator(mode="after")
    def _job_records_within_policy(self) -> "RetentionSettings":
        shortest = min([self.default.after, *(policy.after for policy in self.categories.values())])
        if self.job_records > shortest:
            raise ValueError(f"job_records ({self.job_records}) must not outlive the shortest retention period "
                             f"({shortest})")
        if shortest < timedelta(hours=1):
            raise ValueError(f"retention periods must be at least 1h (got {shortest})")
        return self

    def policy_for(self, categories: list[str]) -> RetentionPolicy:
        """The policy of a case with these categories: the longest period among them, else the default."""
        matching = [self.categories[category] for category in categories if category in self.categories]
        return max(matching, key=lambda policy: policy.after) if matching else self.default
