"""Operator accounts: the YAML's `dashboard.operators` and the `operators` table (`frontdesk user add`).

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second
recommended option). An account in the YAML wins over one of the same name in
the database, so an operator locked out by a bad row can still be fixed in
the configuration file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Boolean, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from config.desk import ROLES, USERNAME, DashboardSettings
from frontdesk.auth.errors import AccountError
from frontdesk.models import utcnow
from frontdesk.store.tables import Base, BigId

HASHER = PasswordHasher()
MIN_PASSWORD = 10
# Verifying against this when the account is unknown keeps the answer time the same for known and unknown names.
_DUMMY_HASH = HASHER.hash("frontdesk-no-such-operator")


class Operator(Base):
    """An operator account created with `frontdesk user add`."""

    __tablename__ = "operators"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True)
class Account:
    """Who signed in and what they may do."""

    username: str
    role: str


def hash_password(password: str) -> str:
    """An argon2id hash of the password; refuses passwords shorter than MIN_PASSWORD characters."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must have at least {MIN_PASSWORD} characters")
    return HASHER.hash(password)


def add_operator(session: Session, username: str, role: str, password: str) -> Operator:
    """Create a database account; AccountError when the name is taken or invalid."""
    import re

    if not re.match(USERNAME, username):
        raise AccountError(f"username {username!r} must match {USERNAME}")
    if role not in ROLES:
        raise AccountError(f"role must be one of {list(ROLES)}, not {role!r}")
    if session.scalars(select(Operator.id).where(Operator.username == username)).first() is not None:
        raise AccountError(f"operator {username!r} exists already")
    operator = Operator(username=username, role=role, password_hash=hash_password(password), created_at=utcnow())
    session.add(operator)
    session.flush()
    return operator


def _stored_hash(session: Session, settings: DashboardSettings, username: str) -> tuple[str, str] | None:
    for operator in settings.operators:
        if operator.username == username:
            return operator.password_hash, operator.role
    row = session.scalars(select(Operator).where(Operator.username == username, Operator.disabled.is_(False))).first()
    return (row.password_hash, row.role) if row is not None else None


def authenticate(session: Session, settings: DashboardSettings, username: str, password: str) -> Account | None:
    """The account when the password matches; None otherwise (unknown name, wrong password, bad hash)."""
    stored = _stored_hash(session, settings, username)
    try:
        HASHER.verify(stored[0] if stored else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if stored is None:
        return None
    return Account(username, stored[1])


def current_role(session: Session, settings: DashboardSettings, username: str) -> str | None:
    """The account's role now (None when removed or disabled), so a demoted operator's old cookie loses power."""
    stored = _stored_hash(session, settings, username)
    return stored[1] if stored else None


def has_accounts(session: Session, settings: DashboardSettings) -> bool:
    """Whether any operator can sign in at all (so the sign-in page can say how to create the first one)."""
    if settings.operators:
        return True
    return session.scalars(select(Operator.id).where(Operator.disabled.is_(False)).limit(1)).first() is not None
