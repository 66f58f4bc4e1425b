"""Operator accounts: argon2 hashes, database accounts next to configured ones, roles read fresh."""

from __future__ import annotations

import pytest

from config.desk import DashboardSettings, OperatorSettings
from frontdesk.auth.accounts import Operator, add_operator, authenticate, current_role, hash_password
from frontdesk.auth.errors import AccountError
from tests.dashboard.desk import PASSWORD, migrated, password_hash


@pytest.fixture
def sessions(database_url):
    with migrated(database_url) as factory:
        yield factory


def test_database_accounts_sign_in_with_their_password_only(sessions):
    with sessions.begin() as session:
        add_operator(session, "mo", "agent", PASSWORD)
    settings = DashboardSettings()
    with sessions() as session:
        stored = session.query(Operator).one()
        assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
        assert authenticate(session, settings, "mo", PASSWORD).role == "agent"
        assert authenticate(session, settings, "mo", PASSWORD + "x") is None
        assert authenticate(session, settings, "nobody", PASSWORD) is None
        assert current_role(session, settings, "mo") == "agent"


def test_bad_accounts_are_refused(sessions):
    with sessions.begin() as session:
        add_operator(session, "mo", "viewer", PASSWORD)
        with pytest.raises(AccountError, match="exists already"):
            add_operator(session, "mo", "admin", PASSWORD)
        with pytest.raises(AccountError, match="role"):
            add_operator(session, "lee", "root", PASSWORD)
        with pytest.raises(AccountError, match="username"):
            add_operator(session, "Lee Smith\n", "agent", PASSWORD)
        with pytest.raises(AccountError, match="at least"):
            add_operator(session, "lee", "agent", "short")


def test_configured_account_wins_and_disabled_rows_lose_access(sessions):
    settings = DashboardSettings(operators=[OperatorSettings(username="mo", role="admin", password_hash=password_hash())])
    with sessions.begin() as session:
        add_operator(session, "mo", "viewer", "another password entirely")
        add_operator(session, "lee", "agent", PASSWORD)
    with sessions.begin() as session:
        assert authenticate(session, settings, "mo", PASSWORD).role == "admin"
        assert authenticate(session, settings, "mo", "another password entirely") is None
        session.query(Operator).filter_by(username="lee").update({"disabled": True})
    with sessions() as session:
        assert authenticate(session, settings, "lee", PASSWORD) is None and current_role(session, settings, "lee") is None


def test_configured_hash_must_be_argon2():
    with pytest.raises(ValueError, match="argon2"):
        OperatorSettings(username="mo", role="admin", password_hash="5f4dcc3b5aa765d61d8327deb882cf99")
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # salted
