"""Poller positions kept in the store (IMAP UIDVALIDITY/UID, X since_id, Mastodon min_id)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from frontdesk.models import utcnow
from frontdesk.store.tables import Cursor


class CursorStore:
    """Read and advance named cursors; each write is its own committed transaction."""

    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions

    def get(self, name: str) -> dict | None:
        """The cursor's value, or None when it was never set."""
        with self._sessions() as session:
            row = session.get(Cursor, name)
            return dict(row.value) if row else None

    def set(self, name: str, value: dict) -> None:
        """Store the cursor's new value (call only after the messages before it are committed)."""
        with self._sessions.begin() as session:
            row = session.get(Cursor, name)
            if row is None:
                session.add(Cursor(name=name, value=value, updated_at=utcnow()))
            else:
                row.value = value
                row.updated_at = utcnow()
