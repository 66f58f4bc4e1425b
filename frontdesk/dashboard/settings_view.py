"""The read-only settings view: channels and their health, the roster and escalation, templates, rules, clocks.

Only names, numbers and policies are shown: contact addresses, URLs of
notification targets, tokens and every other secret stay out of the page.
"""

from __future__ import annotations

import asyncio

import redis
from sqlalchemy import func, select

from frontdesk.metrics import COUNTERS_KEY
from frontdesk.store.tables import RawPayload


async def settings_view(desk) -> dict:
    """Everything the settings page shows, as plain values."""
    settings = desk.settings
    last_seen = await desk.db(_last_seen)
    counts = await asyncio.to_thread(_intake_counts, desk.services.redis)
    return {
        "channels": _channels(settings, desk.services.adapters, last_seen, counts),
        "people": [{"id": person.id, "name": person.name, "methods": sorted(person.contact),
                    "policy": [_step(step) for step in person.notify]} for person in settings.oncall.people],
        "escalation": settings.oncall.escalation,
        "page_urgencies": settings.router.page_urgencies,
        "rules": settings.router.rules,
        "templates": await asyncio.to_thread(_templates, settings.acknowledgments.templates_dir),
        "clocks": settings.clocks,
        "operators": [(operator.username, operator.role) for operator in settings.dashboard.operators],
    }


def _channels(settings, adapters: dict, last_seen: dict, counts: dict) -> list[dict]:
    rows = []
    for slug in type(settings.channels).model_fields:
        section = getattr(settings.channels, slug)
        rows.append({"slug": slug, "enabled": getattr(section, "enabled", True), "running": slug in adapters,
                     "last_message": last_seen.get(slug), "counts": counts.get(slug, {})})
    return rows


def _step(step) -> str:
    return f"notify {step.notify}" if hasattr(step, "notify") else f"wait {step.wait}"


def _last_seen(session) -> dict:
    return dict(session.execute(select(RawPayload.channel, func.max(RawPayload.received_at))
                                .group_by(RawPayload.channel)).all())


def _intake_counts(connection: redis.Redis) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    try:
        fields = connection.hgetall(COUNTERS_KEY)
    except redis.RedisError:
        return counts
    for field, value in fields.items():
        name, _, labels = field.decode().partition("|")
        if name != "messages_in":
            continue
        parsed = dict(part.split("=", 1) for part in labels.split(",") if "=" in part)
        channel, result = parsed.get("channel", "?"), parsed.get("result", "?")
        counts.setdefault(channel, {})[result] = int(float(value))
    return counts


def _templates(templates_dir) -> list[tuple[str, bool]]:
    from outbound.templates import Templates

    own = set()
    if templates_dir is not None and templates_dir.is_dir():
        own = {str(path.relative_to(templates_dir)) for path in templates_dir.rglob("*.j2")}
    return [(name, name in own) for name in sorted(Templates(templates_dir).env.list_templates())]
