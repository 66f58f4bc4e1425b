"""The scheduled retention purge (see frontdesk.privacy.retention), queued once per `retention.interval`."""

from __future__ import annotations

import logging

from frontdesk.privacy.retention import purge as purge_expired
from frontdesk.privacy.setup import vault_for
from workers.runtime import runtime

log = logging.getLogger(__name__)


def purge() -> dict:
    """Redact or delete the cases past their retention period and expire job records; returns the counts."""
    rt = runtime()
    policy = rt.settings.retention
    if not policy.enabled:
        return {}
    report = purge_expired(rt.sessions, rt.redis, policy, vault_for(rt.settings))
    if report.redacted or report.deleted or not report.finished:
        log.info("retention purge: %s", report)
    return report.__dict__
