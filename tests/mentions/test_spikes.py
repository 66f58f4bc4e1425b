"""Spike alerts: a rolling mean and deviation over windows of negative mentions, one alert per spike."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from config.social import SpikeSettings
from frontdesk.mentions import spikes
from frontdesk.mentions.store import Mention
from frontdesk.models import Rendered
from frontdesk.store.cursors import CursorStore
from workers.mentions import run_check

SETTINGS = SpikeSettings(window="10m", baseline_windows=6, deviations=3, min_count=5, examples=2)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def test_detect_needs_deviation_and_minimum():
    assert spikes.detect([2, 3, 2, 3, 2, 3, 4], SETTINGS) is None
    spike = spikes.detect([2, 3, 2, 3, 2, 3, 20], SETTINGS)
    assert spike is not None and spike.count == 20 and spike.mean == 2.5 and spike.threshold == 5.0
    assert spikes.detect([0, 0, 0, 0, 0, 0, 4], SETTINGS) is None  # under min_count
    assert spikes.detect([10, 0, 10, 0, 10, 0, 12], SETTINGS) is None  # within the usual swing


def add_negatives(platform, count: int, end: datetime, label: str = "negative", start: int = 0) -> None:
    with platform.services.sessions.begin() as session:
        for index in range(count):
            at = end - timedelta(seconds=5 * (index + 1))
            session.add(Mention(
                id=f"m{label[:3]}{start + index:07d}", channel="x", external_id=f"{label}{start + index}",
                stream="mentions", author_id="42", author_handle="ann", author_name="Ann", text=f"awful {index}",
                url=f"https://x.com/ann/status/{index}", at=at, sentiment=-0.5 - index / 1000,
                sentiment_label=label, urgency="normal", hashtags=""))


def test_a_spike_alerts_marketing_once_until_it_ends(make_platform, receiver):
    host = receiver.url.removeprefix("http://")
    platform = make_platform(environ={"FRONTDESK_MENTIONS_ALERT_URL": f"json://{host}/marketing"})
    sender = platform.runtime.senders["apprise"]
    url = platform.settings.mentions.alert_url.get_secret_value()
    cursors = CursorStore(platform.services.sessions)

    def notify(title: str, body: str):
        return sender.send(url, Rendered(kind="alert", subject=title, text=body))

    for window in range(1, 7):
        add_negatives(platform, 2, NOW - SETTINGS.window * window, start=window * 100)
    add_negatives(platform, 12, NOW, start=9000)
    add_negatives(platform, 30, NOW, label="positive")

    sessions = platform.services.sessions
    outcomes = [spikes.check(sessions, cursors, SETTINGS, NOW, notify),
                spikes.check(sessions, cursors, SETTINGS, NOW + timedelta(seconds=30), notify),
                spikes.check(sessions, cursors, SETTINGS, NOW + SETTINGS.window * 2, notify)]
    assert outcomes == ["alerted", "ongoing", "ended"]
    alerts = receiver.on("/marketing")
    assert len(alerts) == 1
    alert = alerts[0].json()
    assert alert["title"] == "Spike in negative mentions: 12 in the last 0:10:00"
    assert "against a usual 2 ± 0" in alert["message"] and alert["message"].count("- [x] @ann: awful") == 2


def test_the_periodic_job_without_a_target_only_keeps_state(make_platform):
    platform = make_platform()
    assert run_check(platform.runtime) == "quiet"
    add_negatives(platform, 40, datetime.now(timezone.utc))
    assert run_check(platform.runtime) == "alerted"
    assert run_check(platform.runtime) == "ongoing"
