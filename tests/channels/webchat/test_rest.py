"""The REST fallback (/chat/conversations, /chat/messages), the event stream (/chat/events), CSRF, CORS and static files."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from frontdesk.store.tables import RawPayload

SHOP = "http://shop.test:8000"


@pytest.fixture
def chat(make_platform):
    platform = make_platform(channels={"webchat": {"allowed_origins": [SHOP], "stream_timeout": "2s",
                                                   "heartbeat": "1s"}})
    return platform


def start(platform, origin=SHOP) -> str:
    response = requests.post(f"{platform.url}/chat/conversations", json={}, headers={"Origin": origin}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def post(platform, token, frame, origin=SHOP, content_type="application/json", **headers):
    body = frame if isinstance(frame, bytes) else json.dumps(frame).encode()
    headers.update({"Content-Type": content_type, "Authorization": f"Bearer {token}"})
    if origin:
        headers["Origin"] = origin
    return requests.post(f"{platform.url}/chat/messages", data=body, headers=headers, timeout=10)


def events(platform, token, origin=SHOP) -> list[dict]:
    response = requests.get(f"{platform.url}/chat/events", headers={"Authorization": f"Bearer {token}", "Origin": origin},
                            timeout=20)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]


def test_message_over_rest_then_history_over_the_stream(chat):
    token = start(chat)
    answer = post(chat, token, {"type": "message", "client_id": "r1", "text": "Hello <b>there</b>"})
    assert answer.status_code == 202 and answer.json()["type"] == "received"
    assert answer.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Access-Control-Allow-Credentials" not in answer.headers
    [welcome] = events(chat, token)
    assert welcome["type"] == "welcome" and welcome["conversation"] == token.split(".")[0]
    assert [(line["kind"], line["text"]) for line in welcome["events"]] == [("visitor", "Hello <b>there</b>")]


def test_acknowledgment_arrives_on_an_open_stream(chat):
    token = start(chat)
    with ThreadPoolExecutor(1) as pool:
        stream = pool.submit(events, chat, token)
        time.sleep(0.5)
        assert post(chat, token, {"type": "message", "client_id": "r2", "text": "Broken again"}).status_code == 202
        chat.work()
        frames = stream.result(timeout=30)
    kinds = [frame["event"]["kind"] for frame in frames if frame["type"] == "event"]
    assert "ack" in kinds


@pytest.mark.parametrize("origin, content_type, status", [
    ("https://evil.invalid", "application/json", 403),
    (None, "application/json", 403),
    (SHOP, "application/x-www-form-urlencoded", 403),
    (SHOP, "text/plain", 403),
    (SHOP, "multipart/form-data; boundary=x", 403),
])
def test_cross_site_requests_are_refused(chat, origin, content_type, status):
    token = start(chat)
    answer = post(chat, token, {"type": "message", "client_id": "c1", "text": "forged"}, origin=origin,
                  content_type=content_type)
    assert answer.status_code == status
    with chat.services.sessions() as session:
        assert session.scalars(select(RawPayload)).all() == []


def test_new_conversation_needs_an_allowed_origin(chat):
    for origin in ("https://evil.invalid", None):
        headers = {"Origin": origin} if origin else {}
        assert requests.post(f"{chat.url}/chat/conversations", json={}, headers=headers, timeout=10).status_code == 403


@pytest.mark.parametrize("token", ["", "nonsense", "dana@example.org", "A" * 22 + ".forged"])
def test_messages_and_events_need_a_valid_token(chat, token):
    assert post(chat, token, {"type": "message", "client_id": "c1", "text": "hi"}).status_code == 401
    response = requests.get(f"{chat.url}/chat/events", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 401


def test_events_from_a_foreign_origin_are_refused(chat):
    token = start(chat)
    response = requests.get(f"{chat.url}/chat/events", timeout=10,
                            headers={"Authorization": f"Bearer {token}", "Origin": "https://evil.invalid"})
    assert response.status_code == 403


def test_preflight_only_for_allowed_origins(chat):
    allowed = requests.options(f"{chat.url}/chat/messages", timeout=10, headers={
        "Origin": SHOP, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == SHOP
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    refused = requests.options(f"{chat.url}/chat/messages", headers={"Origin": "https://evil.invalid"}, timeout=10)
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers


def test_oversized_body_is_refused(chat):
    token = start(chat)
    frame = {"type": "message", "client_id": "big", "text": "x" * (16 * 1024)}
    assert post(chat, token, frame).status_code == 413


def test_malformed_frame_names_the_field(chat):
    token = start(chat)
    answer = post(chat, token, {"type": "complaint", "client_id": "c9", "form": {"name": "Lee"}})
    assert answer.status_code == 400
    assert answer.json() == {"type": "error", "error": "form.contact: Field required", "client_id": "c9",
                             "field": "form.contact"}


def test_rate_limit_over_rest(make_platform):
    platform = make_platform(channels={"webchat": {"allowed_origins": [SHOP], "rate_limits": {"per_connection": "2/minute"}}})
    token = start(platform)
    codes = [post(platform, token, {"type": "message", "client_id": f"q{i}", "text": "hi"}).status_code for i in range(3)]
    assert codes == [202, 202, 429]


def test_page_and_widget_files(make_platform):
    platform = make_platform(channels={"webchat": {"title": "Help <script>alert(1)</script>"}})
    page = requests.get(f"{platform.url}/chat", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>alert(1)" not in page.text and "Help &lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    script = requests.get(f"{platform.url}/chat/widget.js", timeout=10)
    assert script.headers["Content-Type"].startswith("text/javascript") and "FrontdeskChat" in script.text
    assert "innerHTML" not in script.text.split("*/", 1)[1]
    style = requests.get(f"{platform.url}/chat/widget.css", timeout=10)
    assert style.headers["Content-Type"].startswith("text/css")
    assert requests.get(f"{platform.url}/chat/widget.html", timeout=10).status_code == 404


def test_shutdown_ends_open_streams(make_platform):
    platform = make_platform(channels={"webchat": {"allowed_origins": [SHOP], "stream_timeout": "5m"}})
    token = start(platform)
    with ThreadPoolExecutor(1) as pool:
        stream = pool.submit(events, platform, token)
        time.sleep(0.5)
        platform.stop()
        frames = stream.result(timeout=15)
    assert [frame["type"] for frame in frames] == ["welcome"]
