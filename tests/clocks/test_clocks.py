"""Where a case's clocks stand, from its times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from config.desk import ClocksSettings
from frontdesk.clocks.clocks import CaseTimes, ClockPolicy

OPENED = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
POLICY = ClockPolicy(ClocksSettings(targets={"high": {"acknowledge": "1h", "first_response": "4h", "resolve": "2d"}}))


def states(now: datetime, **times) -> dict[str, str]:
    facts = dict(acknowledged_at=None, resolved_at=None, customer_ack_at=None, reply_at=None) | times
    return {clock.name: clock.state for clock in POLICY.clocks(CaseTimes(1, "high", OPENED, **facts), now)}


def test_running_warning_breached():
    assert states(OPENED + timedelta(minutes=10)) == {
        "acknowledge": "running", "first_response": "running", "resolve": "running"}
    assert states(OPENED + timedelta(minutes=50))["acknowledge"] == "warning"  # past 80% of the hour
    assert states(OPENED + timedelta(hours=5)) == {
        "acknowledge": "breached", "first_response": "breached", "resolve": "running"}


def test_stopped_clocks_are_met_or_missed():
    acked = OPENED + timedelta(minutes=5)
    late_person = OPENED + timedelta(hours=6)
    result = states(OPENED + timedelta(days=3), customer_ack_at=acked, acknowledged_at=late_person,
                    resolved_at=OPENED + timedelta(days=1))
    assert result == {"acknowledge": "met", "first_response": "missed", "resolve": "met"}


def test_a_reply_or_resolution_also_stops_the_earlier_clocks():
    result = states(OPENED + timedelta(days=1), resolved_at=OPENED + timedelta(minutes=30))
    assert result == {"acknowledge": "met", "first_response": "met", "resolve": "met"}


def test_urgencies_without_targets_have_no_clocks():
    policy = ClockPolicy(ClocksSettings(targets={}))
    clocks = policy.clocks(CaseTimes(1, "low", OPENED, None, None, None, None), OPENED + timedelta(days=9))
    assert {clock.state for clock in clocks} == {"none"}
    assert ClockPolicy(ClocksSettings()).settings.targets["critical"].acknowledge == timedelta(hours=1)
