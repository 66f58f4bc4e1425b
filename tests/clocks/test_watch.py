"""The periodic clock check: one warning to the assignee or on-call person, one breach record, on SQLite and
PostgreSQL; and end to end through the periodic job, the alert sender and /metrics."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from config.desk import ClocksSettings
from config.schema import OncallSettings
from frontdesk.clocks.clocks import ClockPolicy
from frontdesk.clocks.watch import check_clocks
from frontdesk.metrics import Metrics
from frontdesk.store.tables import Case, CaseEvent, Contact, Delivery
from tests.dashboard.desk import migrated, open_case
from workers.periodic import PERIODIC, queue_due

OPENED = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
ROSTER = OncallSettings(people=[
    {"id": "dana", "name": "Dana", "contact": {"apprise": "json://127.0.0.1:9/dana"}, "notify": [{"notify": "apprise"}]},
    {"id": "lee", "name": "Lee", "contact": {"apprise": "json://127.0.0.1:9/lee"}, "notify": [{"notify": "apprise"}]},
], escalation={"chain": ["dana", "lee"]})
POLICY = ClockPolicy(ClocksSettings(targets={"high": {"acknowledge": "1h"}}))


@pytest.fixture
def sessions(database_url):
    with migrated(database_url) as factory:
        yield factory


def make_case(sessions, acknowledged_by: str | None = None) -> int:
    with sessions.begin() as session:
        contact = Contact(name="Ann", created_at=OPENED)
        session.add(contact)
        session.flush()
        case = Case(urgency="high", channel="api", contact_id=contact.id, opened_at=OPENED, updated_at=OPENED,
                    last_message_at=OPENED, acknowledged_by=acknowledged_by)
        session.add(case)
        session.flush()
        return case.id


def run(sessions, now: datetime):
    with sessions.begin() as session:
        result, _ = check_clocks(session, POLICY, ROSTER, Metrics(None), now)
    return result


def events(sessions, case_id: int) -> list[tuple[str, dict]]:
    with sessions() as session:
        return [(e.kind, e.data) for e in session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))]


def test_warns_on_call_once_then_records_the_breach_once(sessions):
    case_id = make_case(sessions)
    assert run(sessions, OPENED + timedelta(minutes=30)).warned == 0
    first = run(sessions, OPENED + timedelta(minutes=50))
    assert first.warned == 1 and len(first.alerts) == 1
    assert run(sessions, OPENED + timedelta(minutes=55)).warned == 0
    with sessions() as session:
        alert = session.scalars(select(Delivery).where(Delivery.kind == "alert")).one()
        assert (alert.recipient, alert.target, alert.detail["clock"]) == ("dana", "json://127.0.0.1:9/dana",
                                                                          "acknowledge")
    assert run(sessions, OPENED + timedelta(hours=2)).breached == 1
    assert run(sessions, OPENED + timedelta(hours=3)).breached == 0
    kinds = [kind for kind, _ in events(sessions, case_id)]
    assert kinds == ["clock_warning", "clock_breached"]
    assert events(sessions, case_id)[1][1]["clock"] == "acknowledge"


def test_the_assignee_is_told_rather_than_on_call(sessions):
    make_case(sessions, acknowledged_by="lee")
    run(sessions, OPENED + timedelta(minutes=50))
    with sessions() as session:
        assert session.scalars(select(Delivery.recipient).where(Delivery.kind == "alert")).one() == "lee"


def test_clock_check_is_a_periodic_job():
    assert "workers.clocks.check" in [entry.job for entry in PERIODIC]


def test_end_to_end_warning_page_breach_event_and_metric(make_platform, receiver):
    host = receiver.url.removeprefix("http://")
    roster = {"people": [{"id": "dana", "name": "Dana", "contact": {"apprise": f"json://{host}/alert/dana"},
                          "notify": [{"notify": "apprise"}]}], "escalation": {"chain": ["dana"]}}
    clocks = {"targets": {"normal": {"first_response": "1s", "resolve": "1h"}}, "warn_at": 0.0002,
              "check_interval": "1s"}
    platform = make_platform(oncall=roster, clocks=clocks)
    case_id = open_case(platform, "m-1", "My kettle leaks.")
    time.sleep(1.2)
    for _ in range(2):  # a second run in a later interval must not warn or breach again
        assert queue_due(platform.runtime.redis, platform.settings) >= 1
        platform.work()
        time.sleep(1.0)
    alerts = receiver.on("/alert/dana")
    assert len(alerts) == 1 and "resolve" in alerts[0].json()["message"]
    detail = platform.http.get(f"{platform.url}/api/cases/{case_id}", timeout=10).json()
    kinds = [(e["kind"], e["data"].get("clock")) for e in detail["events"] if e["actor"] == "clocks"]
    assert sorted(kinds) == [("clock_breached", "first_response"), ("clock_warning", "resolve")]
    metrics = platform.http.get(f"{platform.url}/metrics", timeout=10).text
    assert 'frontdesk_clock_breaches_total{clock="first_response",urgency="normal"} 1.0' in metrics


def test_cases_too_young_for_any_warning_are_not_read(sessions):
    make_case(sessions)
    assert POLICY.soonest_warning() == timedelta(minutes=48)  # 1h x warn_at 0.8
    assert run(sessions, OPENED + timedelta(minutes=47)).checked == 0
    assert run(sessions, OPENED + timedelta(minutes=49)).checked == 1


def test_without_any_target_nothing_is_read(sessions):
    make_case(sessions)
    policy = ClockPolicy(ClocksSettings(targets={}))
    assert policy.soonest_warning() is None
    with sessions.begin() as session:
        result, after = check_clocks(session, policy, ROSTER, Metrics(None), OPENED + timedelta(days=30))
    assert (result.checked, after) == (0, None)
