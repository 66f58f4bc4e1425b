"""Poller positions kept in the store (IMAP UIDVALIDITY/UID, X since_id, Mastodon min_id)."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from frontdesk.errors import IntakeUnavailableError
from frontdesk.models import utcnow
from frontdesk.store.db import read_session
from frontdesk.store.tables import Cursor


class CursorStore:
    """Read and advance named cursors; each write is its own committed transaction.

    A store that cannot answer (locked, restarting, gone) raises IntakeUnavailableError, which every poller
    already treats as "back off and try again", as it does when `accept` cannot store a message.
    """

    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions

    def get(self, name: str) -> dict | None:
        """The cursor's value, or None when it was never set."""
        try:
            with read_session(self._sessions) as session:
                row = session.get(Cursor, name)
                return dict(row.value) if row else None
        except SQLAlchemyError as error:
            raise IntakeUnavailableError(f"cursor {name}: the store cannot be read: {type(error).__name__}") from error

    def set(self, name: str, value: dict) -> None:
        """Store the cursor's new value (call only after the messages before it are committed)."""
        try:
            with self._sessions.begin() as session:
                row = session.get(Cursor, name)
                if row is None:
                    session.add(Cursor(name=name, value=value, updated_at=utcnow()))
                else:
                    row.value = value
                    row.updated_at = utcnow()
        except SQLAlchemyError as error:
            raise IntakeUnavailableError(
                f"cursor {name}: the store cannot be written: {type(error).__name__}") from error
