"""Messages and routers for the judgement tests: the router on chosen settings, or on the bundled defaults."""

from __future__ import annotations

from datetime import datetime, timezone

from config.schema import AcknowledgmentSettings, RouterSettings
from frontdesk.judging import build_router
from frontdesk.models import Contact, Message
from frontdesk.settings import load_settings
from router.route import Router

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def message(text: str, subject: str | None = None, flags: frozenset[str] = frozenset(), public: bool = False
            ) -> Message:
    return Message(id="m1", channel="api", external_id="e1", sender=Contact(channel="api", handle="ann"),
                   text=text, subject=subject, sent_at=NOW, received_at=NOW, flags=flags, public=public)


def router(**settings) -> Router:
    return build_router(RouterSettings.model_validate(settings), AcknowledgmentSettings())


def default_router() -> Router:
    """The router on the bundled defaults (config/default.yaml), rules included."""
    settings = load_settings(environ={})
    return build_router(settings.router, settings.acknowledgments)
