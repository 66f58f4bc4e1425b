"""Helpers for dashboard tests: operator accounts in the settings, a signed-in HTTP session, cases to look at."""

from __future__ import annotations

import re
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

import requests
from sqlalchemy.orm import sessionmaker

from frontdesk.store.db import make_engine, make_sessions, migrate

PASSWORD = "correct horse battery staple"
ROLES = ("viewer", "agent", "admin")


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One argon2 hash of PASSWORD, shared by the test accounts (hashing is deliberately slow)."""
    from frontdesk.auth.accounts import hash_password

    return hash_password(PASSWORD)


def dashboard_settings(**extra) -> dict:
    """A `dashboard` section with one operator per role, named after the role."""
    operators = [{"username": role, "role": role, "password_hash": password_hash()} for role in ROLES]
    return {"operators": operators, **extra}


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in the page."""
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def sign_in(base_url: str, username: str, password: str = PASSWORD) -> requests.Session:
    """A requests session signed in as `username` (asserts that it worked)."""
    session = requests.Session()
    form = session.get(f"{base_url}/login", timeout=10)
    answer = session.post(f"{base_url}/login", data={"username": username, "password": password,
                                                    "csrf": csrf_of(form.text), "next": "/"}, timeout=10)
    assert answer.status_code == 200 and answer.url.rstrip("/") == base_url, answer.text[:500]
    return session


def open_case(platform, external_id: str, text: str, subject: str = "Broken kettle", handle: str = "ann") -> int:
    """Post a message through the generic channel, route it, and return its case id."""
    body = {"external_id": external_id, "sender": {"handle": handle, "name": "Ann Smith", "email": "ann@example.org"},
            "subject": subject, "text": text}
    assert platform.post_message(body).status_code == 202
    platform.work()
    cases = platform.http.get(f"{platform.url}/api/cases", timeout=10).json()["cases"]
    return max(case["id"] for case in cases)


def post_action(session: requests.Session, base_url: str, case_id: int, action: str, **fields) -> requests.Response:
    """POST a case action with the CSRF token of the case page."""
    page = session.get(f"{base_url}/cases/{case_id}", timeout=10)
    return session.post(f"{base_url}/cases/{case_id}/{action}", data={"csrf": csrf_of(page.text), **fields},
                        timeout=10)


@contextmanager
def migrated(database_url: str) -> Iterator[sessionmaker]:
    """A session factory on a freshly migrated store at `database_url`, disposed of afterwards."""
    engine = make_engine(database_url)
    migrate(engine)
    try:
        yield make_sessions(engine)
    finally:
        engine.dispose()
