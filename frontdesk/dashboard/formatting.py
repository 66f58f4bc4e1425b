"""Template filters: times, durations, clock labels and language names, written for people."""

from __future__ import annotations

from datetime import datetime, timedelta

import jinja2

from classifier.language import language_name
from frontdesk.models import utcnow

CLOCK_LABELS = {"acknowledge": "ack", "first_response": "response", "resolve": "resolution"}


def when(value) -> str:
    """A UTC time as `YYYY-MM-DD HH:MM`; empty for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M")


def duration(value: timedelta | float | None) -> str:
    """A duration as `2d 3h`, `3h 5m` or `45m`; negative ones get a minus sign."""
    if value is None:
        return ""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    sign, seconds = ("-" if seconds < 0 else ""), abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes}m"
    return f"{sign}{minutes}m"


def clock_text(clock) -> str:
    """One clock in a few words: `ack met`, `response 25m left`, `resolution breached 2h ago`."""
    label = CLOCK_LABELS.get(clock.name, clock.name)
    if clock.state == "none":
        return f"{label}: no target"
    if clock.state in ("met", "missed"):
        return f"{label} {clock.state}"
    left = clock.remaining(utcnow())
    if clock.state == "breached":
        return f"{label} breached {duration(-left)} ago"
    return f"{label} {duration(left)} left"


def install(environment: jinja2.Environment) -> None:
    """Register the filters on a Jinja environment."""
    environment.filters.update(when=when, duration=duration, clock_text=clock_text, language=language_name)
