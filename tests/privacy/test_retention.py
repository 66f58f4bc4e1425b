"""Retention: per-category periods, redact or delete, statistics kept, idempotent, and safe to kill mid-way."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time
from datetime import timedelta

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import func, select, text

from config.record import RetentionSettings
from frontdesk.audit.verify import verify_chains
from frontdesk.models import utcnow
from frontdesk.privacy.crypto import Keyring
from frontdesk.privacy.retention import purge
from frontdesk.privacy.vault import Vault
from frontdesk.store.cases import add_event
from frontdesk.store.db import make_engine, make_sessions, migrate
from frontdesk.store.tables import Case, CaseEvent, Contact, ContactIdentity, Delivery, MessageRow, RawPayload
from tests.privacy.canary import KEYS, traces, database_dump

POLICY = RetentionSettings(default={"after": "365d"}, categories={
    "legal": {"after": "2000d"}, "service": {"after": "90d", "action": "delete"}}, job_records="1d", batch_size=7)
NAME = "Quentin Canaryfield"


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    yield make_sessions(engine)
    engine.dispose()


def add_case(sessions, vault: Vault | None, number: int, categories: list[str], age_days: int) -> int:
    """A resolved case `age_days` old with one message (and an attachment when a vault is given)."""
    when = utcnow() - timedelta(days=age_days)
    sha = f"{number:064x}"
    with sessions.begin() as session:
        contact = Contact(name=NAME, email=f"q{number}@example.org", created_at=when)
        session.add(contact)
        session.flush()
        session.add(ContactIdentity(contact_id=contact.id, channel="api", handle=f"default:canary{number}"))
        case = Case(urgency="high", channel="api", contact_id=contact.id, categories=categories, subject=f"{NAME} {number}",
                    opened_at=when, updated_at=when, last_message_at=when, resolved_at=when, status="resolved",
                    message_count=1)
        session.add(case)
        session.flush()
        message_id = f"01RETENTION{number:021d}"
        session.add(RawPayload(id=message_id, idempotency_key=f"api:canary-{number}", channel="api", received_at=when,
                               content_type="application/json", body=f'{{"text": "{NAME}"}}'.encode(), meta={}))
        session.flush()
        session.add(MessageRow(id=message_id, idempotency_key=f"api:canary-{number}", case_id=case.id,
                               contact_id=contact.id, channel="api", external_id=f"canary-{number}", subject=NAME,
                               text=f"{NAME} wrote this", sent_at=when, received_at=when, urgency="high",
                               categories=categories, attachments=[{"filename": "a.pdf", "content_type": "application/pdf",
                                                                    "size": 3, "sha256": sha}] if vault else []))
        session.add(Delivery(key=f"ack:{message_id}", case_id=case.id, message_id=message_id, kind="ack",
                             sender="api", target=f"q{number}@example.org", recipient=str(contact.id), status="sent"))
        add_event(session, case.id, "router", "opened", message_id=message_id, channel="api",
                  reasons=[{"source": "rule", "detail": f"{NAME} matched"}])
    if vault is not None:
        vault.put("api", sha, b"pdf")
    return case.id


def test_each_category_gets_its_period_and_action_and_statistics_stay(sessions, tmp_path):
    vault = Vault(tmp_path, Keyring([KEYS]))
    old_plain = add_case(sessions, vault, 1, [], 400)       # default: 365 days, redact
    young_plain = add_case(sessions, vault, 2, [], 100)
    old_legal = add_case(sessions, vault, 3, ["legal", "service"], 400)  # the longest period of its categories wins
    old_service = add_case(sessions, vault, 4, ["service"], 100)  # 90 days, delete
    with sessions.begin() as session:  # a row of another feature's table that points at the case
        session.execute(text("INSERT INTO case_clocks (case_id, clock, state, at, due_at) VALUES "
                             "(:case, 'ack', 'met', :at, :at)"), {"case": old_service, "at": utcnow()})
    report = purge(sessions, None, POLICY, vault)
    assert (report.redacted, report.deleted, report.finished) == (1, 1, True)
    with sessions() as session:
        remaining = {case.id: case for case in session.scalars(select(Case))}
        assert set(remaining) == {old_plain, young_plain, old_legal}
        assert remaining[old_plain].redacted_at is not None and remaining[old_plain].subject is None
        assert remaining[old_plain].categories == [] and remaining[old_plain].message_count == 1
        assert remaining[young_plain].redacted_at is None and remaining[old_legal].redacted_at is None
        assert session.get(Delivery, 1).target == "erased"
        assert session.scalar(select(func.count(MessageRow.id))) == 3
        assert session.get(Contact, 1).name is None and session.get(Contact, 4) is None
        assert session.scalar(text("SELECT count(*) FROM case_clocks")) == 0
    dump = database_dump(sessions.kw["bind"])
    assert "q1@example.org" not in dump and "canary-4" not in dump and "q2@example.org" in dump
    assert [path.name for path in (tmp_path / "attachments" / "api").iterdir()] == sorted(
        f"{n:064x}" for n in (2, 3))
    assert verify_chains(sessions).ok
    again = purge(sessions, None, POLICY, vault)
    assert (again.redacted, again.deleted, again.contacts) == (0, 0, 0)
    assert verify_chains(sessions).ok


def test_job_records_including_failed_jobs_expire_within_the_policy(sessions, redis_url):
    import redis

    connection = redis.Redis.from_url(redis_url)
    Queue("outbound", connection=connection).enqueue("json.loads", "not json", failure_ttl=365 * 86400)
    SimpleWorker(["outbound"], connection=connection).work(burst=True, logging_level="WARNING")
    [key] = connection.keys("rq:job:*")
    assert connection.ttl(key) > 86400
    report = purge(sessions, connection, POLICY, None)
    assert report.job_records >= 1 and 0 < connection.ttl(key) <= 86400
    assert all(0 < connection.ttl(k) <= 86400 for k in connection.keys("rq:results:*"))


def _purge_in_child(database_url: str) -> None:
    engine = make_engine(database_url)
    slow = RetentionSettings(default={"after": "365d"}, batch_size=1)
    purge(make_sessions(engine), None, slow, None)


def redacted_so_far(database_url: str, sessions) -> int:
    """Cases redacted so far, read without waiting for the purging writer (the store's sessions take the
    SQLite write lock even to read, which would let the purge finish before the kill lands)."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.split("///", 1)[1], timeout=5) as connection:
            return connection.execute("SELECT count(*) FROM cases WHERE redacted_at IS NOT NULL").fetchone()[0]
    with sessions() as session:
        return session.scalar(select(func.count(Case.id)).where(Case.redacted_at.is_not(None)))


@pytest.mark.slow
def test_a_purge_killed_mid_way_finishes_on_the_next_run(sessions, database_url):
    cases = [add_case(sessions, None, number, [], 400) for number in range(1, 401)]
    child = multiprocessing.get_context("spawn").Process(target=_purge_in_child, args=(database_url,))
    child.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and redacted_so_far(database_url, sessions) < 1:
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    with sessions() as session:
        done = session.scalar(select(func.count(Case.id)).where(Case.redacted_at.is_not(None)))
    assert 0 < done < len(cases)
    assert verify_chains(sessions).ok
    report = purge(sessions, None, RetentionSettings(default={"after": "365d"}), None)
    assert report.redacted == len(cases) - done
    with sessions() as session:
        assert session.scalar(select(func.count(Case.id)).where(Case.redacted_at.is_(None))) == 0
        erasures = session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.kind == "personal_data_erased"))
    assert erasures == len(cases) and verify_chains(sessions).ok
    assert traces(database_dump(sessions.kw["bind"])) == []
