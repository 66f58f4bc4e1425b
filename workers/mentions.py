"""The periodic spike check of the mentions view: counts negative mentions, alerts marketing once per spike."""

from __future__ import annotations

import logging

from frontdesk.mentions import spikes
from frontdesk.models import DeliveryResult, Rendered, utcnow
from frontdesk.store.cursors import CursorStore
from workers.runtime import Runtime, runtime

log = logging.getLogger(__name__)


def check_spikes() -> str:
    """RQ job: one spike check (registered in workers.periodic.PERIODIC)."""
    return run_check(runtime())


def run_check(rt: Runtime) -> str:
    """One spike check with the runtime's store and Apprise sender; returns what happened."""
    section = rt.settings.mentions

    def notify(title: str, body: str) -> DeliveryResult | None:
        if section.alert_url is None:
            log.warning("negative mentions spike, but no alert URL in $%s: %s", section.alert_url_env, title)
            return None
        rendered = Rendered(kind="alert", subject=title, text=body, idempotency_key=f"spike:{utcnow():%Y%m%d%H%M}")
        return rt.senders["apprise"].send(section.alert_url.get_secret_value(), rendered)

    outcome = spikes.check(rt.sessions, CursorStore(rt.sessions), section.spike, utcnow(), notify)
    if outcome != "quiet":
        log.info("mentions spike check: %s", outcome)
    return outcome
