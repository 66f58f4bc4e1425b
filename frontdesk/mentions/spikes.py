"""Spike detection on negative mentions: the current window against the rolling mean and deviation of the ones before.

A spike is a window whose count of negative mentions reaches
`mean + deviations × standard deviation` of the previous `baseline_windows`
windows, and at least `min_count`. Marketing is told once when a spike starts;
the state (`mentions:spike` in the store's cursors) stays active, and silent,
until a window falls back under the threshold.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.social import SpikeSettings
from frontdesk.mentions.store import Mention
from frontdesk.models import DeliveryResult
from frontdesk.store.db import read_session

STATE = "mentions:spike"


@dataclass(frozen=True)
class Spike:
    """A window of unusually many negative mentions."""

    count: int
    mean: float
    deviation: float
    threshold: float


def negative_counts(session: Session, now: datetime, settings: SpikeSettings) -> list[int]:
    """Negative mentions per window, oldest first; the last entry is the window ending `now`."""
    windows = settings.baseline_windows + 1
    start = now - settings.window * windows
    counts = [0] * windows
    width = settings.window.total_seconds()
    rows = session.scalars(select(Mention.at).where(Mention.sentiment_label == "negative", Mention.at >= start,
                                                    Mention.at < now))
    for at in rows:
        slot = int((at - start).total_seconds() // width)
        if 0 <= slot < windows:
            counts[slot] += 1
    return counts


def detect(counts: list[int], settings: SpikeSettings) -> Spike | None:
    """The spike in the last window of `counts`, or None."""
    baseline, current = counts[:-1], counts[-1]
    mean = statistics.fmean(baseline) if baseline else 0.0
    deviation = statistics.pstdev(baseline) if len(baseline) > 1 else 0.0
    threshold = max(mean + settings.deviations * deviation, float(settings.min_count))
    if current >= threshold and current > mean:
        return Spike(current, round(mean, 2), round(deviation, 2), round(threshold, 2))
    return None


def examples(session: Session, now: datetime, settings: SpikeSettings) -> list[Mention]:
    """The most negative mentions of the current window."""
    return list(session.scalars(
        select(Mention).where(Mention.sentiment_label == "negative", Mention.at >= now - settings.window,
                              Mention.at < now).order_by(Mention.sentiment, Mention.at.desc()).limit(settings.examples)))


def alert_text(spike: Spike, shown: list[Mention], settings: SpikeSettings) -> tuple[str, str]:
    """Title and body of the alert."""
    title = f"Spike in negative mentions: {spike.count} in the last {settings.window}"
    lines = [f"{spike.count} negative mentions in the last {settings.window}, against a usual "
             f"{spike.mean:g} ± {spike.deviation:g} (alert threshold {spike.threshold:g}).", ""]
    for mention in shown:
        who = f"@{mention.author_handle}" if mention.author_handle else mention.author_id
        lines.append(f"- [{mention.channel}] {who}: {mention.text[:200]} {mention.url}".rstrip())
    return title, "\n".join(lines)


def check(sessions, cursors, settings: SpikeSettings, now: datetime,
          notify: Callable[[str, str], DeliveryResult | None]) -> str:
    """One check: alert once when a spike starts, clear the state when it ends; returns what happened.

    `sessions` is the store's session factory; reads are done and closed before the state is written.
    """
    state = cursors.get(STATE) or {"active": False}
    with read_session(sessions) as session:
        spike = detect(negative_counts(session, now, settings), settings)
        shown = examples(session, now, settings) if spike and not state.get("active") else []
    if spike is None:
        if state.get("active"):
            cursors.set(STATE, {"active": False, "ended_at": now.isoformat()})
            return "ended"
        return "quiet"
    if state.get("active"):
        return "ongoing"
    result = notify(*alert_text(spike, shown, settings))
    if result is not None and not result.ok:
        return f"alert failed: {result.error}"
    cursors.set(STATE, {"active": True, "since": now.isoformat(), "count": spike.count})
    return "alerted"
