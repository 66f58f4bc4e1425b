"""The router on the real store: the default router routing into a migrated SQLite file, as the worker does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from config.schema import AcknowledgmentSettings, RouterSettings
from frontdesk.judging import build_router
from frontdesk.models import Decision, Message
from frontdesk.store.db import make_engine, make_sessions, migrate
from frontdesk.store.lookup import SqlCaseLookup
from frontdesk.store.recorder import record_message
from frontdesk.store.tables import CaseEvent, RawPayload


class StoredRouting:
    """Routes messages one transaction each, as workers/routing.py does, and reads back what was recorded."""

    def __init__(self, sessions, settings: RouterSettings | None = None):
        self.sessions = sessions
        self.router = build_router(settings or RouterSettings(), AcknowledgmentSettings())

    def route(self, routed: Message, ack_target: str | None = None) -> tuple[int, Decision]:
        """The case the message was recorded in, and the router's decision."""
        with self.sessions.begin() as session:
            session.add(RawPayload(id=routed.id, idempotency_key=routed.idempotency_key, channel=routed.channel,
                                   received_at=routed.received_at, content_type="application/json", body=b"{}"))
            session.flush()
            decision = self.router.route(routed, SqlCaseLookup(session))
            recorded, _ = record_message(session, routed, decision, ack_target=ack_target,
                                         ack_window=timedelta(days=1))
        return recorded.case_id, decision

    def events(self, case_id: int, kind: str) -> list[dict]:
        """The data of the case's audit events of this kind, oldest first."""
        with self.sessions.begin() as session:
            return [event.data for event in session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind).order_by(CaseEvent.id))]


@pytest.fixture
def sessions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    migrate(engine)
    return make_sessions(engine)


@pytest.fixture
def store(sessions) -> StoredRouting:
    return StoredRouting(sessions)
