"""The command line: `audit verify`, `privacy export|erase`, `keys generate|rotate`, against a real SQLite store."""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from frontdesk.cli import main
from frontdesk.privacy.crypto import Keyring, generate_key
from frontdesk.privacy.logs import remove_log_redaction
from frontdesk.store.cases import add_event
from frontdesk.store.db import make_engine, make_sessions, migrate
from frontdesk.store.tables import Case, CaseEvent, Contact, ContactIdentity


@pytest.fixture(autouse=True)
def logging_restored():
    """The commands set up logging (with redaction) for the whole process: undo it after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    remove_log_redaction()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def environ(tmp_path):
    return {"FRONTDESK_DATA_DIR": str(tmp_path / "var"), "FRONTDESK_DATA_KEYS": generate_key(),
            "FRONTDESK_REDIS_URL": ""}


@pytest.fixture
def sessions(environ, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'frontdesk.sqlite3'}")
    migrate(engine)
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        contact = Contact(name="Ann Example", email="ann@example.org")
        session.add(contact)
        session.flush()
        session.add(ContactIdentity(contact_id=contact.id, channel="slack", handle="U0ANN"))
        case = Case(urgency="normal", channel="slack", contact_id=contact.id, subject="Ann's broken kettle")
        session.add(case)
        session.flush()
        for kind in ("opened", "acknowledged", "resolved"):
            add_event(session, case.id, "router", kind, note="Ann Example called")
    return sessions


def run(environ, *args):
    return CliRunner().invoke(main, list(args), env=environ, catch_exceptions=False)


def test_audit_verify_passes_then_names_the_first_broken_link(environ, sessions):
    result = run(environ, "audit", "verify")
    assert result.exit_code == 0 and "3 events in 1 cases" in result.output and "all chains verify" in result.output
    with sessions.begin() as session:
        session.execute(update(CaseEvent).where(CaseEvent.seq == 2).values(kind="forged"))
    result = run(environ, "audit", "verify")
    assert result.exit_code == 1
    assert "first broken link: case 1, link #2 (event 2): content does not match its digest (edited)" in result.output
    report = json.loads(run(environ, "audit", "verify", "--json").output)
    assert report["ok"] is False and report["broken"][0]["seq"] == 2


def test_privacy_export_then_erase_from_the_command_line(environ, sessions, tmp_path):
    result = run(environ, "privacy", "export", "slack:U0ANN", "--out", str(tmp_path / "out"), "--actor", "dpo")
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "out" / "contact-1" / "subject.json").read_text())
    assert document["contact"]["email"] == "ann@example.org" and document["cases"][0]["subject"] == "Ann's broken kettle"
    result = run(environ, "privacy", "erase", "ann@example.org", "--yes", "--actor", "dpo")
    assert result.exit_code == 0 and "contact 1: 1 cases" in result.output
    with sessions() as session:
        assert session.get(Contact, 1).email is None and session.get(Case, 1).subject is None
        actors = {event.actor for event in session.query(CaseEvent).filter(CaseEvent.seq > 3)}
    assert actors == {"cli:dpo"}
    assert run(environ, "audit", "verify").exit_code == 0
    result = run(environ, "privacy", "erase", "nobody@example.org", "--yes")
    assert result.exit_code == 1 and "no contact matches 'nobody@example.org'" in result.output


def test_keys_generate_and_rotate(environ, sessions):
    new_key = run(environ, "keys", "generate").output.strip()
    Keyring([new_key])
    rotated = run({**environ, "FRONTDESK_DATA_KEYS": f"{new_key},{environ['FRONTDESK_DATA_KEYS']}"}, "keys", "rotate")
    assert rotated.exit_code == 0 and "re-sealed 0 payloads" in rotated.output
    missing = run({**environ, "FRONTDESK_DATA_KEYS": ""}, "keys", "rotate")
    assert missing.exit_code == 1 and "no data key: set FRONTDESK_DATA_KEYS" in missing.output
    bad = run({**environ, "FRONTDESK_DATA_KEYS": "not-a-key"}, "audit", "verify")
    assert bad.exit_code == 1 and "data key #1 is not a key of 32 bytes" in bad.output and "not-a-key" not in bad.output
