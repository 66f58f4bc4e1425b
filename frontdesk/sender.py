"""The outbound contract every sender meets: one module per channel in `outbound/`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from frontdesk.models import DeliveryResult, Message, Rendered


@dataclass(frozen=True)
class SenderContext:
    """What every sender may use besides its own settings section."""

    settings: Any  # config.schema.Settings
    redis: Any = None  # redis.Redis, for senders that publish (web chat)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        """The platform's data directory."""
        return Path(self.settings.data_dir)


@runtime_checkable
class Sender(Protocol):
    """Delivers rendered messages on one channel and reports each result.

    `resend_safe` says whether sending the same delivery twice is harmless
    (the provider dedupes on our idempotency key); a delivery whose outcome
    is unknown after a crash is re-sent only then.
    """

    slug: str
    resend_safe: bool

    def reply_target(self, message: Message) -> str | None:
        """Where an acknowledgment to `message` goes, or None when this channel cannot answer it."""
        ...

    def send(self, target: str, rendered: Rendered) -> DeliveryResult:
        """Send one message to one target; transport errors become a failed DeliveryResult."""
        ...


@runtime_checkable
class UpdatingSender(Protocol):
    """A sender that can rewrite a page it sent when the case moves on (Slack's chat.update)."""

    def update(self, target: str, provider_id: str, rendered: Rendered) -> DeliveryResult:
        """Replace the earlier message `provider_id` at `target` with `rendered`."""
        ...
