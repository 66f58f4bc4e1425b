"""workers/retention.py: the purge runs as a periodic RQ job on a running platform."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from frontdesk.models import utcnow
from frontdesk.store.tables import Case, MessageRow
from workers.periodic import queue_due


def test_the_periodic_purge_redacts_an_expired_case(platform):
    response = platform.post_message({"external_id": "old-1", "sender": {"handle": "zoe", "name": "Zoe Old"},
                                      "text": "My parcel never arrived, I want a refund"})
    assert response.status_code == 202
    platform.work()
    long_ago = utcnow() - timedelta(days=800)
    with platform.services.sessions.begin() as session:
        session.execute(update(Case).values(resolved_at=long_ago, status="resolved"))
    assert queue_due(platform.runtime.redis, platform.settings) >= 1
    platform.work()
    with platform.services.sessions() as session:
        case = session.scalars(select(Case)).one()
        message = session.scalars(select(MessageRow)).one()
    assert case.redacted_at is not None and case.message_count == 1 and case.categories
    assert message.text == "" and message.external_id.startswith("erased:")
