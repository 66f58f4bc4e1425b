"""The per-case hash chain: appending, verifying, and naming the first broken link (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update

from frontdesk.audit.chain import ERASED_KIND, rewriting
from frontdesk.audit.errors import AppendOnlyError
from frontdesk.audit.verify import verify_chains
from frontdesk.models import utcnow
from frontdesk.store.cases import add_event
from frontdesk.store.db import make_engine, make_sessions, migrate
from frontdesk.store.tables import Case, CaseEvent, Contact


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    yield make_sessions(engine)
    engine.dispose()


def open_case(sessions, events: int = 3) -> int:
    with sessions.begin() as session:
        contact = Contact(name="Ann", email="ann@example.org")
        session.add(contact)
        session.flush()
        case = Case(urgency="normal", channel="api", contact_id=contact.id)
        session.add(case)
        session.flush()
        for number in range(events):
            add_event(session, case.id, "router", "note", number=number, text="naïve “quotes”", nested={"b": 1, "a": [1.5, None]})
        return case.id


def test_events_are_chained_in_order_and_verify(sessions):
    first, second = open_case(sessions), open_case(sessions, events=2)
    with sessions() as session:
        rows = session.scalars(select(CaseEvent).where(CaseEvent.case_id == first).order_by(CaseEvent.seq)).all()
        case = session.get(Case, first)
    assert [row.seq for row in rows] == [1, 2, 3]
    assert rows[0].prev_hash == "0" * 64
    assert [row.prev_hash for row in rows[1:]] == [row.hash for row in rows[:-1]]
    assert (case.event_seq, case.chain_head) == (3, rows[-1].hash)
    report = verify_chains(sessions)
    assert report.ok and (report.cases, report.events) == (2, 5)
    assert verify_chains(sessions, case_ids=[second]).events == 2


def test_an_edited_event_is_named_as_the_first_broken_link(sessions):
    case_id = open_case(sessions, events=4)
    with sessions.begin() as session:
        target = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq == 2)).one()
        session.execute(update(CaseEvent).where(CaseEvent.id == target.id).values(data={"number": 99}))
    report = verify_chains(sessions)
    assert [(b.case_id, b.seq, b.event_id) for b in report.broken] == [(case_id, 2, target.id)]
    assert "edited" in report.first.reason


@pytest.mark.parametrize("change, reason", [
    ("delete_middle", "sequence jumps"),
    ("delete_tail", "events removed"),
    ("swap_actor", "edited"),
    ("rehash", "hash does not match"),
])
def test_every_kind_of_tampering_is_caught(sessions, change, reason):
    case_id = open_case(sessions, events=4)
    with sessions.begin() as session:
        where = (CaseEvent.case_id == case_id)
        if change == "delete_middle":
            session.execute(delete(CaseEvent).where(where, CaseEvent.seq == 2))
        elif change == "delete_tail":
            session.execute(delete(CaseEvent).where(where, CaseEvent.seq == 4))
        elif change == "swap_actor":
            session.execute(update(CaseEvent).where(where, CaseEvent.seq == 3).values(actor="someone-else"))
        else:
            session.execute(update(CaseEvent).where(where, CaseEvent.seq == 2).values(hash="f" * 64))
    report = verify_chains(sessions)
    assert len(report.broken) == 1 and report.first.case_id == case_id
    assert reason in report.first.reason


def test_events_cannot_be_changed_or_deleted_through_the_orm(sessions):
    case_id = open_case(sessions, events=1)
    with pytest.raises(AppendOnlyError):
        with sessions.begin() as session:
            session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)).one().actor = "forger"
    with pytest.raises(AppendOnlyError):
        with sessions.begin() as session:
            session.delete(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)).one())
    assert verify_chains(sessions).ok


def test_a_declared_tombstone_verifies_and_an_undeclared_one_does_not(sessions):
    case_id = open_case(sessions, events=3)
    with sessions.begin() as session, rewriting(session):
        session.execute(update(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq == 2)
                        .values(data={"erased": True}, salt=None, erased_at=utcnow()))
    assert "tombstone not declared" in verify_chains(sessions).first.reason
    with sessions.begin() as session:
        add_event(session, case_id, "privacy", ERASED_KIND, tombstones=[2])
    report = verify_chains(sessions)
    assert report.ok and report.tombstones == 1


def test_events_written_before_the_chain_existed_are_chained_by_the_migration(tmp_path):
    from alembic import command

    from frontdesk.store.db import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO contacts (id, created_at) VALUES (1, '2026-01-01 00:00:00.000000')"))
        connection.execute(text(
            "INSERT INTO cases (id, status, urgency, categories, reasons, channel, contact_id, flags, opened_at, "
            "updated_at, last_message_at, message_count, escalation_step) VALUES (1, 'open', 'low', '[]', '[]', "
            "'api', 1, '[]', '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', "
            "'2026-01-01 00:00:00.000000', 0, -1)"))
        for number in range(3):
            connection.execute(text(
                "INSERT INTO case_events (case_id, at, actor, kind, data) VALUES "
                f"(1, '2026-01-01 00:00:0{number}.000000', 'router', 'note', '{{\"n\": {number}}}')"))
    migrate(engine)
    report = verify_chains(make_sessions(engine))
    assert report.ok and report.events == 3
    with make_sessions(engine).begin() as session:
        later = add_event(session, 1, "router", "later")
    assert later.seq == 4
    assert verify_chains(make_sessions(engine)).ok


def test_a_chain_recomputed_after_an_edit_verifies_but_changes_the_anchor(sessions):
    from frontdesk.audit.chain import GENESIS, content_digest, link_hash, normalise

    case_id = open_case(sessions, events=3)
    anchor = verify_chains(sessions).anchor
    assert verify_chains(sessions).anchor == anchor
    with sessions.begin() as session:
        rows = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)).all()
        previous = GENESIS
        for row in rows:
            data, text_ = normalise({"number": 99} if row.seq == 2 else row.data)
            digest = content_digest(row.salt, row.at, row.actor, row.kind, text_)
            link = link_hash(previous, case_id, row.seq, digest)
            session.execute(update(CaseEvent).where(CaseEvent.id == row.id).values(
                data=data, digest=digest, prev_hash=previous, hash=link))
            previous = link
        session.execute(update(Case).where(Case.id == case_id).values(chain_head=previous))
    forged = verify_chains(sessions)
    assert forged.ok and forged.anchor != anchor


def test_an_event_in_a_rolled_back_savepoint_is_never_linked(sessions):
    case_id = open_case(sessions, events=1)
    with sessions.begin() as session:
        savepoint = session.begin_nested()
        add_event(session, case_id, "router", "lost")
        session.flush()
        savepoint.rollback()
        kept = add_event(session, case_id, "router", "kept")
    assert kept.seq == 2
    with sessions() as session:
        assert session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)
                               .order_by(CaseEvent.seq)).all() == ["note", "kept"]
    assert verify_chains(sessions).ok


def test_writers_crossing_the_same_cases_in_opposite_orders_neither_deadlock_nor_fork(sessions):
    from concurrent.futures import ThreadPoolExecutor

    first, second = open_case(sessions, events=0), open_case(sessions, events=0)

    def writer(order: tuple[int, int], rounds: int = 20) -> None:
        for number in range(rounds):
            with sessions.begin() as session:
                for case_id in order:
                    add_event(session, case_id, "writer", "step", number=number)

    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(writer, (first, second)), pool.submit(writer, (second, first))]:
            future.result(timeout=120)
    report = verify_chains(sessions)
    assert report.ok and report.events == 80
    with sessions() as session:
        assert session.get(Case, first).event_seq == 40 and session.get(Case, second).event_seq == 40


def test_verification_reads_a_snapshot_and_lets_writers_commit_meanwhile(sessions):
    from frontdesk.audit.verify import _snapshot

    case_id = open_case(sessions, events=2)
    with _snapshot(sessions.kw["bind"], 100) as fetch:
        before = list(fetch(select(CaseEvent.id)))
        with sessions.begin() as session:  # would wait for the lock if the snapshot held it
            add_event(session, case_id, "router", "meanwhile")
        assert list(fetch(select(CaseEvent.id))) == before
    assert verify_chains(sessions).events == 3


def test_parallel_verification_gives_the_same_report_as_one_process(sessions, database_url):
    from frontdesk.audit.parallel import verify_in_parallel

    cases = [open_case(sessions, events=number % 4) for number in range(9)]
    single = verify_chains(sessions)
    parallel = verify_in_parallel(database_url, jobs=3)
    assert (parallel.cases, parallel.events, parallel.anchor) == (single.cases, single.events, single.anchor)
    with sessions.begin() as session:
        for case_id in (cases[1], cases[7]):
            session.execute(update(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq == 1)
                            .values(actor="forger"))
    single, parallel = verify_chains(sessions), verify_in_parallel(database_url, jobs=3)
    assert [str(link) for link in parallel.broken] == [str(link) for link in single.broken]
    assert [link.case_id for link in parallel.broken] == [cases[1], cases[7]]
    assert parallel.anchor == single.anchor
