"""Erasure: one person's data created through every channel, erased, and every store searched for a trace.

Stores searched: every table (raw payloads opened with the data key), the
SQLite file and its WAL, the attachments folder, every Redis key and RQ job
record (failed ones included), and Redis's append-only files on disk.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from frontdesk.audit.verify import verify_chains
from frontdesk.privacy.erase import erase_contact
from frontdesk.privacy.export import export_contact
from frontdesk.privacy.setup import vault_for
from frontdesk.privacy.subjects import resolve_contacts
from frontdesk.store.cases import is_opted_out, record_opt_out
from frontdesk.store.tables import Case, CaseEvent, MessageRow
from tests.privacy.canary import (
    EMAIL, HANDLE, MASTODON_USER, NAME, SLACK_USER, TEXT, X_USER, Fakes, database_dump, redis_dump, send_everywhere,
    traces,
)

ATTACHMENT = b"%PDF-1.4 receipt of " + NAME.encode()


@pytest.fixture
def fakes():
    with Fakes() as running:
        yield running


@pytest.fixture
def person(make_platform, fakes, database_url):
    platform = make_platform(database_url=database_url, **fakes.settings())
    send_everywhere(platform, fakes)
    sessions = platform.services.sessions
    vault = vault_for(platform.settings)
    with sessions.begin() as session:
        message = session.scalars(select(MessageRow).where(MessageRow.channel == "api")).one()
        sha = "b" * 64
        vault.put("api", sha, ATTACHMENT)
        message.attachments = [{"filename": "receipt.pdf", "content_type": "application/pdf",
                                "size": len(ATTACHMENT), "sha256": sha}]
        record_opt_out(session, "api", f"default:{HANDLE}", "router", message.case_id)
    return platform


def contact_ids(sessions) -> list[int]:
    with sessions() as session:
        return sorted({i for who in (EMAIL, HANDLE, f"slack:{SLACK_USER}", f"x:{X_USER}", f"mastodon:{MASTODON_USER}")
                       for i in resolve_contacts(session, who)})


def aof_bytes(redis_server, connection) -> bytes:
    for _ in range(100):
        info = connection.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            break
        time.sleep(0.1)
    return b"".join(path.read_bytes() for path in Path(redis_server.data_dir).rglob("*.aof*") if path.is_file())


def sqlite_files(database_url: str) -> bytes:
    if not database_url.startswith("sqlite"):
        return b""
    path = Path(database_url.split("///", 1)[1])
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_the_person_is_found_in_every_store_before_erasure(person):
    engine = person.services.sessions.kw["bind"]
    assert set(traces(database_dump(engine))) >= {EMAIL, NAME, HANDLE, SLACK_USER, X_USER, MASTODON_USER,
                                                  "CANARYBODY-5e1f"}
    assert EMAIL in traces(redis_dump(person.runtime.redis))
    with person.services.sessions() as session:
        assert sorted(session.scalars(select(Case.channel))) == ["api", "email", "mastodon", "slack", "webchat", "x"]
    assert len(contact_ids(person.services.sessions)) >= 6


def test_erasure_leaves_no_trace_in_any_store_and_keeps_the_counts(person, database_url, redis_server, tmp_path):
    sessions, connection = person.services.sessions, person.runtime.redis
    vault = vault_for(person.settings)
    with sessions() as session:
        before = (session.scalar(select(func.count(Case.id))), session.scalar(select(func.count(MessageRow.id))),
                  sorted(session.scalars(select(Case.channel))))
    ids = contact_ids(sessions)
    reports = [erase_contact(sessions, connection, contact_id, "test:dpo", vault) for contact_id in ids]
    assert sum(report.cases for report in reports) == before[0] and sum(r.redis_jobs for r in reports) >= 1
    assert sum(report.unrouted_payloads for report in reports) == 1

    engine = sessions.kw["bind"]
    assert traces(database_dump(engine)) == []
    assert traces(sqlite_files(database_url)) == []
    assert traces(redis_dump(connection)) == []
    assert traces(aof_bytes(redis_server, connection)) == []
    assert not list(vault.files())
    with sessions() as session:
        after = (session.scalar(select(func.count(Case.id))), session.scalar(select(func.count(MessageRow.id))),
                 sorted(session.scalars(select(Case.channel))))
        erasures = session.scalars(select(CaseEvent.actor).where(CaseEvent.kind == "personal_data_erased")).all()
        assert is_opted_out(session, "api", f"default:{HANDLE}")
    assert after == before and set(erasures) == {"test:dpo"} and len(erasures) == before[0]
    assert verify_chains(sessions).ok

    again = [erase_contact(sessions, connection, contact_id, "test:dpo", vault) for contact_id in ids]
    assert sum(report.messages + report.tombstones for report in again) == 0
    assert verify_chains(sessions).ok
    folder = export_contact(sessions, ids[0], tmp_path / "export", "test:dpo", vault)
    assert traces((folder / "subject.json").read_text()) == []


def test_export_holds_everything_on_the_person_and_is_audited(person, tmp_path):
    sessions = person.services.sessions
    vault = vault_for(person.settings)
    with sessions() as session:
        [api_contact] = resolve_contacts(session, HANDLE)
    folder = export_contact(sessions, api_contact, tmp_path / "export", "test:dpo", vault)
    import json

    document = json.loads((folder / "subject.json").read_text())
    assert document["contact"]["email"] == EMAIL and document["contact"]["name"] == NAME
    assert [m["text"] for m in document["messages"]] == [TEXT]
    assert TEXT in document["raw_payloads"][0]["text"]
    assert [e["kind"] for e in document["cases"][0]["events"]][0] == "opened"
    assert (folder / "attachments" / f"{'b' * 64}-receipt.pdf").read_bytes() == ATTACHMENT
    with sessions() as session:
        kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == document["cases"][0]["id"])).all()
    assert kinds[-1] == "personal_data_exported"
    assert verify_chains(sessions).ok
