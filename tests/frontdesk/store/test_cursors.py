"""CursorStore: a store that cannot answer is "unavailable" to the pollers, which back off, never a crash."""

from __future__ import annotations

import pytest

from frontdesk.errors import IntakeUnavailableError
from frontdesk.store.cursors import CursorStore
from frontdesk.store.db import make_engine, make_sessions, migrate
from tests.mentions.poll_health import cursors_table_gone


def test_reads_and_writes_fail_as_unavailable_and_work_again_after(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    migrate(engine)
    sessions = make_sessions(engine)
    cursors = CursorStore(sessions)
    cursors.set("imap:desk", {"uidvalidity": 7, "last_uid": 41})
    with cursors_table_gone(sessions):
        with pytest.raises(IntakeUnavailableError, match="cursor imap:desk: the store cannot be read"):
            cursors.get("imap:desk")
        with pytest.raises(IntakeUnavailableError, match="cursor imap:desk: the store cannot be written"):
            cursors.set("imap:desk", {"uidvalidity": 7, "last_uid": 42})
    assert cursors.get("imap:desk") == {"uidvalidity": 7, "last_uid": 41}
    cursors.set("imap:desk", {"uidvalidity": 7, "last_uid": 42})
    assert cursors.get("imap:desk") == {"uidvalidity": 7, "last_uid": 42}
