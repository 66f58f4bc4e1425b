"""The case list's filters and the case page's links, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from config.desk import ClocksSettings
from frontdesk.clocks.clocks import ClockPolicy
from frontdesk.dashboard.reads import CaseFilters, case_page, case_rows
from frontdesk.store.cases import merge_cases
from frontdesk.store.tables import Case, Contact, ContactIdentity

from tests.dashboard.desk import migrated

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
POLICY = ClockPolicy(ClocksSettings())


@pytest.fixture
def sessions(database_url):
    with migrated(database_url) as factory:
        yield factory


def seed(sessions) -> dict[str, int]:
    specs = {"fire": ("critical", "open", "email", ["safety"], "Ann O'Hara", "ann@example.org", "ann@example.org"),
             "bill": ("normal", "resolved", "webchat", ["financial", "service"], "Bob_100%", None, "visitor-7"),
             "rude": ("high", "acknowledged", "x", ["harassment"], "Cy", None, "@cy_x")}
    ids = {}
    with sessions.begin() as session:
        for name, (urgency, status, channel, categories, person, email, handle) in specs.items():
            contact = Contact(name=person, email=email, created_at=NOW)
            session.add(contact)
            session.flush()
            session.add(ContactIdentity(contact_id=contact.id, channel=channel, handle=handle))
            case = Case(urgency=urgency, status=status, channel=channel, categories=categories, contact_id=contact.id,
                        subject=name, opened_at=NOW - timedelta(hours=2), updated_at=NOW, last_message_at=NOW)
            session.add(case)
            session.flush()
            ids[name] = case.id
    return ids


def listed(sessions, **filters) -> list[str]:
    with sessions() as session:
        return [row["subject"] for row in case_rows(session, POLICY, CaseFilters(**filters), 50, None, NOW)]


def test_each_filter(sessions):
    seed(sessions)
    assert listed(sessions) == ["rude", "bill", "fire"]
    assert listed(sessions, urgency="critical") == ["fire"]
    assert listed(sessions, status="resolved") == ["bill"]
    assert listed(sessions, channel="x") == ["rude"]
    assert listed(sessions, category="service") == ["bill"]
    assert listed(sessions, category="safety", status="open") == ["fire"]
    assert listed(sessions, contact="O'HARA") == ["fire"]  # name, any case
    assert listed(sessions, contact="example.org") == ["fire"]  # email
    assert listed(sessions, contact="@cy_") == ["rude"]  # channel handle
    assert listed(sessions, contact="b_100%") == ["bill"] and listed(sessions, contact="%") == ["bill"]
    assert listed(sessions, contact="ANN@example.org") == ["fire"]  # exact email, lower-cased
    assert listed(sessions, contact="visitor-7") == ["bill"]  # exact handle
    assert listed(sessions, contact="nobody at all") == []


def test_rows_carry_clocks_and_pages_go_back_in_time(sessions):
    ids = seed(sessions)
    with sessions() as session:
        rows = case_rows(session, POLICY, CaseFilters(), 2, None, NOW)
        older = case_rows(session, POLICY, CaseFilters(), 2, rows[-1]["id"], NOW)
    assert [row["id"] for row in rows + older] == [ids["rude"], ids["bill"], ids["fire"]]
    fire = older[0]["clocks"]
    assert [(clock.name, clock.state) for clock in fire] == [
        ("acknowledge", "breached"), ("first_response", "running"), ("resolve", "none")]


def test_case_page_shows_merged_cases_with_the_evidence(sessions):
    ids = seed(sessions)
    with sessions.begin() as session:
        assert merge_cases(session, ids["rude"], ids["fire"], "dana", "same person, same product")
    with sessions() as session:
        page = case_page(session, POLICY, ids["fire"], NOW)
        merged = case_page(session, POLICY, ids["rude"], NOW)
    assert [(linked["id"], linked["merge"]["data"]["reason"]) for linked in page["merged_from"]] == [
        (ids["rude"], "same person, same product")]
    assert merged["merged_into"] == ids["fire"] and merged["status"] == "resolved"
    assert page["identities"] == ["email:ann@example.org"]
    with sessions() as session:
        assert case_page(session, POLICY, 424242, NOW) is None
