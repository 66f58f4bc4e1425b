"""The complaints review: figures from the store, table, CSV and PNG, on the CLI and the dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from frontdesk.clocks.watch import CaseClock
from frontdesk.report import build_report, percentile, report_rows, to_csv, to_png, to_table
from frontdesk.store.tables import Case, Contact
from tests.dashboard.desk import dashboard_settings, migrated, open_case, sign_in

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def seed(sessions) -> None:
    """Four cases in the period (one merged away) and one before it."""
    with sessions.begin() as session:
        contact = Contact(name="Ann", created_at=NOW)
        session.add(contact)
        session.flush()
        specs = [("email", "critical", ["safety"], "Kettle caught fire", 1, 2, None),
                 ("email", "normal", ["financial"], "=HYPERLINK(\"x\") refund for kettle", 3, 30, None),
                 ("webchat", "normal", ["financial", "service"], "Refund still missing", None, None, None),
                 ("webchat", "low", [], "duplicate", None, None, 1),
                 ("api", "low", [], "long ago", 1, 1, None)]
        for index, (channel, urgency, categories, subject, ack_h, resolve_h, merged) in enumerate(specs):
            opened = NOW - timedelta(days=40 if subject == "long ago" else 2, hours=index)
            case = Case(channel=channel, urgency=urgency, categories=categories, subject=subject, contact_id=contact.id,
                        opened_at=opened, updated_at=opened, last_message_at=opened,
                        acknowledged_at=opened + timedelta(hours=ack_h) if ack_h else None,
                        resolved_at=opened + timedelta(hours=resolve_h) if resolve_h else None,
                        status="resolved" if resolve_h else "open")
            session.add(case)
            session.flush()
            if index == 2:
                session.add(CaseClock(case_id=case.id, clock="acknowledge", state="breached", at=NOW, due_at=NOW))
        session.flush()


@pytest.fixture
def sessions(database_url):
    with migrated(database_url) as factory:
        yield factory


def test_figures_of_the_period(sessions):
    seed(sessions)
    with sessions() as session:
        report = build_report(session, NOW - timedelta(days=30), NOW)
    assert report.cases == 4
    assert report.by_channel == {"email": 2, "webchat": 2}
    assert report.by_category == {"financial": 2, "safety": 1, "service": 1, "uncategorised": 1}
    assert report.by_urgency == {"normal": 2, "critical": 1, "low": 1}
    assert report.times()["acknowledge"] == {"median": 3600.0, "p90": 3 * 3600.0, "count": 2}
    assert report.times()["resolve"]["p90"] == 30 * 3600.0
    assert report.breaches == {"acknowledge": 1}
    assert report.topics["kettle"] == 2 and report.topics["refund"] == 2 and "for" not in report.topics


def test_outputs(sessions):
    seed(sessions)
    with sessions() as session:
        report = build_report(session, NOW - timedelta(days=30), NOW)
    rows = report_rows(report)
    assert ("time_to_acknowledge", "median", "1.0h") in rows and ("topic", "kettle", "2") in rows
    assert to_csv(report).splitlines()[0] == "section,key,value"
    assert "breaches,acknowledge,1" in to_csv(report)
    table = to_table(report)
    assert "time_to_resolve" in table and "channel" in table
    assert to_png(report).startswith(b"\x89PNG\r\n\x1a\n")


def test_percentile_is_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([float(n) for n in range(1, 11)], 90) == 9.0
    assert percentile([float(n) for n in range(1, 11)], 50) == 5.0


def test_report_command_writes_table_csv_and_png(make_settings, tmp_path):
    from frontdesk.cli import main

    settings = make_settings()
    config = tmp_path / "frontdesk.yaml"
    config.write_text(f"database_url: {settings.effective_database_url}\n")
    with migrated(settings.effective_database_url) as factory:
        seed(factory)
    runner = CliRunner()
    table = runner.invoke(main, ["report", "--since", "3650d", "--config", str(config)])
    assert table.exit_code == 0 and "time_to_acknowledge" in table.output, table.output
    chart = tmp_path / "report.png"
    csv = runner.invoke(main, ["report", "--since", "3650d", "--format", "csv", "--png", str(chart),
                               "--config", str(config)])
    assert csv.exit_code == 0 and csv.output.startswith("section,key,value")
    assert chart.read_bytes().startswith(b"\x89PNG")
    bad = runner.invoke(main, ["report", "--since", "soon", "--config", str(config)])
    assert bad.exit_code == 2 and "not a duration" in bad.output


def test_report_on_the_dashboard(make_platform):
    desk = make_platform(dashboard=dashboard_settings())
    open_case(desk, "m-1", "The charger caught fire.", subject="Charger fire")
    viewer = sign_in(desk.url, "viewer")
    page = viewer.get(f"{desk.url}/report", params={"since": "7d"}, timeout=30)
    assert page.status_code == 200 and "safety" in page.text and 'src="/report.png?since=7d"' in page.text
    assert viewer.get(f"{desk.url}/report.csv", timeout=30).text.startswith("section,key,value")
    png = viewer.get(f"{desk.url}/report.png", timeout=60)
    assert png.headers["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert viewer.get(f"{desk.url}/report", params={"since": "-1d"}, timeout=30).status_code == 400
