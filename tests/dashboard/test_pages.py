"""The dashboard's pages against a real platform: sign-in, the case list with filters and clocks, the case page."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape
import requests

from tests.dashboard.desk import dashboard_settings, open_case, sign_in

XSS = Path(__file__).resolve().parents[1] / "fixtures" / "webchat" / "xss_payloads.txt"


@pytest.fixture
def desk(make_platform):
    return make_platform(dashboard=dashboard_settings())


def test_strangers_are_sent_to_sign_in_and_come_back_where_they_were(desk):
    answer = requests.get(f"{desk.url}/cases/1?x=1", timeout=10, allow_redirects=False)
    location = urlsplit(answer.headers["Location"])
    assert answer.status_code == 303 and location.path == "/login" and parse_qs(location.query)["next"] == ["/cases/1?x=1"]
    for path in ("/", "/settings", "/report", "/report.csv", "/report.png"):
        assert requests.get(f"{desk.url}{path}", timeout=10, allow_redirects=False).status_code == 303


def test_case_list_shows_cases_with_clocks_and_filters_them(desk):
    first = open_case(desk, "m-1", "My kettle stopped working after a week.", subject="Kettle broken")
    second = open_case(desk, "m-2", "The charger caught fire and burned the table!", subject="Charger fire",
                       handle="bob")
    session = sign_in(desk.url, "viewer")

    page = session.get(f"{desk.url}/", timeout=10).text
    assert f'href="/cases/{first}"' in page and f'href="/cases/{second}"' in page
    assert "ack " in page and "left" in page  # the clocks of each row

    critical = session.get(f"{desk.url}/", params={"urgency": "critical"}, timeout=10).text
    assert f'href="/cases/{second}"' in critical and f'href="/cases/{first}"' not in critical
    safety = session.get(f"{desk.url}/", params={"category": "safety", "channel": "api"}, timeout=10).text
    assert f'href="/cases/{second}"' in safety and f'href="/cases/{first}"' not in safety
    by_contact = session.get(f"{desk.url}/", params={"contact": "bob"}, timeout=10).text
    assert f'href="/cases/{second}"' in by_contact and f'href="/cases/{first}"' not in by_contact
    assert "No cases match" in session.get(f"{desk.url}/", params={"status": "resolved"}, timeout=10).text

    bad = session.get(f"{desk.url}/", params={"urgency": "<b>urgent</b>"}, timeout=10)
    assert bad.status_code == 400 and "<b>urgent</b>" not in bad.text and "&lt;b&gt;urgent&lt;/b&gt;" in bad.text


def test_case_page_shows_conversation_reasons_and_audit_trail(desk):
    case_id = open_case(desk, "m-1", "There is a gas leak in the kitchen since your engineer left.", subject="Gas leak")
    session = sign_in(desk.url, "viewer")
    page = session.get(f"{desk.url}/cases/{case_id}", timeout=10)
    assert page.status_code == 200
    assert "There is a gas leak in the kitchen" in page.text and "Why this urgency" in page.text
    assert "safety.hazard" in page.text  # the rule that made it critical
    assert "event-opened" in page.text  # the audit trail
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "Acknowledge" not in page.text  # viewers get no action forms
    assert session.get(f"{desk.url}/cases/999999", timeout=10).status_code == 404


def test_case_page_names_a_message_language_other_than_english(desk):
    case_id = open_case(desk, "m-de", "Meine Bestellung kam zu spät und der Karton war beschädigt. Ich will mein Geld "
                                      "zurück.", subject="Lieferung", handle="jonas")
    page = sign_in(desk.url, "viewer").get(f"{desk.url}/cases/{case_id}", timeout=10).text
    assert '<span class="language" title="de">German</span>' in page
    english = open_case(desk, "m-en", "My parcel arrived late and the box was damaged.", handle="ann-2")
    assert 'class="language"' not in sign_in(desk.url, "viewer").get(f"{desk.url}/cases/{english}", timeout=10).text


def test_visitor_text_renders_as_text_everywhere(desk):
    payloads = [line for line in XSS.read_text().splitlines() if line and not line.startswith("# ")]
    case_id = open_case(desk, "xss-1", "\n".join(payloads), subject=payloads[0], handle="<img src=x onerror=1>")
    session = sign_in(desk.url, "agent")
    for path in ("/", f"/cases/{case_id}"):
        page = session.get(f"{desk.url}{path}", timeout=10).text
        assert html.escape(payloads[0], quote=False) in page
        for payload in payloads:
            assert "<" not in payload or payload not in page, (path, payload)
    text = session.get(f"{desk.url}/cases/{case_id}", timeout=10).text
    body = text[text.index('<pre class="text">'):]
    for payload in payloads:
        assert str(escape(payload)) in body, payload


def test_settings_view_lists_the_roster_but_no_secret(make_platform, receiver):
    host = receiver.url.removeprefix("http://")
    roster = {"people": [{"id": "dana", "name": "Dana", "contact": {"apprise": f"json://{host}/page/secret-token-xyz"},
                          "notify": [{"notify": "apprise"}]}], "escalation": {"chain": ["dana"]}}
    desk = make_platform(dashboard=dashboard_settings(), oncall=roster)
    agent = sign_in(desk.url, "agent")
    page = agent.get(f"{desk.url}/settings", timeout=10).text
    assert "Dana (dana)" in page and "safety.hazard" in page and "ack/default.txt.j2" in page
    assert "secret-token-xyz" not in page and "test-token-0123456789" not in page and "$argon2" not in page
    assert sign_in(desk.url, "viewer").get(f"{desk.url}/settings", timeout=10).status_code == 403
