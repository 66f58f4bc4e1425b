"""Sign-in over HTTP: cookie flags, CSRF on the sign-in form, rate limits, redirects, sign-out, API roles, the CLI."""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner

from tests.dashboard.desk import PASSWORD, csrf_of, dashboard_settings, open_case, sign_in


@pytest.fixture
def desk(make_platform):
    return make_platform(dashboard=dashboard_settings(login_attempts=3))


def attempt(session: requests.Session, url: str, username: str, password: str, next_path: str = "/"):
    form = session.get(f"{url}/login", timeout=10)
    return session.post(f"{url}/login", data={"username": username, "password": password, "csrf": csrf_of(form.text),
                                             "next": next_path}, timeout=10, allow_redirects=False)


def test_session_cookie_is_httponly_samesite_and_signed(desk):
    answer = attempt(requests.Session(), desk.url, "agent", PASSWORD)
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    cookie = answer.headers["Set-Cookie"]
    assert "frontdesk_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback; TLS requests get Secure
    value = cookie.split("frontdesk_session=")[1].split(";")[0]
    forged = requests.get(f"{desk.url}/", cookies={"frontdesk_session": value[:-2] + "xx"}, timeout=10,
                          allow_redirects=False)
    assert forged.status_code == 303 and forged.headers["Location"].startswith("/login")


def test_wrong_password_then_rate_limit_even_for_the_right_one(desk):
    session = requests.Session()
    for _ in range(3):
        wrong = attempt(session, desk.url, "agent", "not the password")
        assert wrong.status_code == 401 and "Wrong username or password" in wrong.text
    limited = attempt(session, desk.url, "agent", PASSWORD)
    assert limited.status_code == 429 and "frontdesk_session" not in limited.headers.get("Set-Cookie", "")
    assert attempt(requests.Session(), desk.url, "viewer", PASSWORD).status_code == 429  # same address


def test_sign_in_form_needs_its_csrf_token_and_redirects_stay_on_site(desk):
    stranger = requests.post(f"{desk.url}/login", data={"username": "agent", "password": PASSWORD, "csrf": "x"},
                             timeout=10, allow_redirects=False)
    assert stranger.status_code == 403
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert attempt(requests.Session(), desk.url, "agent", PASSWORD, target).headers["Location"] == "/"
    assert attempt(requests.Session(), desk.url, "agent", PASSWORD, "/cases/7").headers["Location"] == "/cases/7"


def test_sign_out_ends_the_session(desk):
    session = sign_in(desk.url, "viewer")
    page = session.get(f"{desk.url}/", timeout=10)
    out = session.post(f"{desk.url}/logout", data={"csrf": csrf_of(page.text)}, timeout=10, allow_redirects=False)
    assert out.status_code == 303 and out.headers["Location"] == "/login"
    assert session.get(f"{desk.url}/", timeout=10, allow_redirects=False).status_code == 303


def test_api_tokens_carry_roles(make_platform):
    clients = [{"name": "default"}, {"name": "wallboard", "role": "viewer", "token_env": "WALLBOARD_TOKEN"}]
    desk = make_platform(channels={"api": {"clients": clients}}, environ={"WALLBOARD_TOKEN": "wallboard-token-123"})
    case_id = open_case(desk, "m-1", "My kettle leaks.")
    viewer = {"Authorization": "Bearer wallboard-token-123"}
    assert requests.get(f"{desk.url}/api/cases/{case_id}", headers=viewer, timeout=10).status_code == 200
    refused = requests.post(f"{desk.url}/api/cases/{case_id}/ack", headers=viewer, timeout=10)
    assert refused.status_code == 403 and "viewer" in refused.json()["error"]
    assert desk.http.post(f"{desk.url}/api/cases/{case_id}/ack", timeout=10).json()["changed"] is True


def test_user_add_creates_an_account_that_can_sign_in(make_platform, make_settings, tmp_path):
    from frontdesk.cli import main

    settings = make_settings()
    runner = CliRunner()
    env = {"FRONTDESK_DATA_DIR": str(settings.data_dir)}
    config = tmp_path / "frontdesk.yaml"
    config.write_text(f"database_url: {settings.effective_database_url}\n")
    result = runner.invoke(main, ["user", "add", "mo", "--role", "admin", "--password-stdin", "--config", str(config)],
                           input=PASSWORD + "\n", env=env)
    assert result.exit_code == 0, result.output
    again = runner.invoke(main, ["user", "add", "mo", "--password-stdin", "--config", str(config)],
                          input=PASSWORD + "\n", env=env)
    assert again.exit_code == 1 and "exists already" in again.output
    desk = make_platform(settings)
    admin = sign_in(desk.url, "mo")
    assert "Sign out mo (admin)" in admin.get(f"{desk.url}/", timeout=10).text

    hashed = runner.invoke(main, ["user", "hash", "--password-stdin"], input=PASSWORD + "\n")
    assert hashed.exit_code == 0 and hashed.output.startswith("$argon2id$")


def test_sign_in_page_says_how_to_create_the_first_account(make_platform):
    desk = make_platform()
    assert "frontdesk user add NAME --role admin" in requests.get(f"{desk.url}/login", timeout=10).text
