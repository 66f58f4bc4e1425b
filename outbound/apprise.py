"""Pages through Apprise (https://github.com/caronc/apprise/wiki): Slack, email, SMS gateways,
Telegram, Teams, `json://` and a hundred more, one URL at a time so each gets its own result.
"""

from __future__ import annotations

import logging

import apprise

from config.schema import AppriseSenderSettings
from frontdesk.models import DeliveryResult, Message, Rendered
from frontdesk.sender import SenderContext

log = logging.getLogger(__name__)


class AppriseSender:
    """Sends to one Apprise URL per call and reports what Apprise said about it."""

    slug = "apprise"
    resend_safe = False

    def __init__(self, settings: AppriseSenderSettings, context: SenderContext):
        self.settings = settings
        self.asset = apprise.AppriseAsset(app_id=context.settings.organisation.name, async_mode=False)

    def reply_target(self, message: Message) -> str | None:
        """Apprise is for staff, not for answering customers."""
        return None

    def send(self, target: str, rendered: Rendered) -> DeliveryResult:
        """Notify one URL; a URL Apprise cannot load is a permanent failure, a refused send a retryable one."""
        notifier = apprise.Apprise(asset=self.asset)
        shown = redact_url(target)
        if not notifier.add(target):
            return DeliveryResult(target=shown, status="failed", error="Apprise does not recognise this URL")
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = notifier.notify(body=rendered.text, title=rendered.subject, body_format=apprise.NotifyFormat.TEXT)
        if ok:
            return DeliveryResult(target=shown, status="sent")
        lines = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
        return DeliveryResult(target=shown, status="failed", retryable=True,
                              error=(lines[-1] if lines else "notification refused")[:500])


def redact_url(url: str) -> str:
    """The URL's scheme and host only: Apprise URLs often carry tokens."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/…" if rest else url
