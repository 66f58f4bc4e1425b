"""channels/webchat/guard.py: origins, CORS, CSRF refusal, rate limits, socket caps."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from channels.webchat.guard import OriginPolicy, RateLimits, SocketCounter, client_address, refuse_cross_site_post
from config.webchat import WebchatChannelSettings, WebchatRateLimits

SHOP = "https://shop.example"


def request(method="GET", origin=None, content_type=None, host="chat.example:8080", **headers):
    if origin is not None:
        headers["Origin"] = origin
    if content_type is not None:
        headers["Content-Type"] = content_type
    headers["Host"] = host
    return make_mocked_request(method, "/chat/messages", headers=headers)


@pytest.mark.parametrize("origin, allowed", [
    (SHOP, True),
    ("HTTPS://SHOP.EXAMPLE", True),
    ("http://chat.example:8080", True),
    ("https://chat.example:8080", True),
    ("https://shop.example.evil.invalid", False),
    ("https://evil.invalid", False),
    ("null", False),
    ("", False),
    (None, False),
])
def test_origin_allowlist(origin, allowed):
    assert OriginPolicy([SHOP]).allows(request(origin=origin)) is allowed


def test_cors_names_the_one_origin_and_never_credentials():
    headers = OriginPolicy([SHOP]).cors_headers(request(origin=SHOP))
    assert headers["Access-Control-Allow-Origin"] == SHOP
    assert "Access-Control-Allow-Credentials" not in headers
    assert headers["Vary"] == "Origin"


def test_no_cors_for_foreign_or_own_origin():
    policy = OriginPolicy([SHOP])
    assert "Access-Control-Allow-Origin" not in policy.cors_headers(request(origin="https://evil.invalid"))
    assert "Access-Control-Allow-Origin" not in policy.cors_headers(request(origin="http://chat.example:8080"))


@pytest.mark.parametrize("origin, content_type, reason", [
    (SHOP, "application/json", None),
    ("https://evil.invalid", "application/json", "origin not allowed"),
    (None, "application/json", "origin not allowed"),
    (SHOP, "application/x-www-form-urlencoded", "content type must be application/json"),
    (SHOP, "text/plain", "content type must be application/json"),
    (SHOP, "multipart/form-data; boundary=x", "content type must be application/json"),
])
def test_cross_site_posts_are_refused(origin, content_type, reason):
    assert refuse_cross_site_post(OriginPolicy([SHOP]), request("POST", origin, content_type)) == reason


def test_wildcard_origin_is_a_configuration_error():
    with pytest.raises(ValueError, match="wildcard"):
        WebchatChannelSettings(allowed_origins=["*"])
    with pytest.raises(ValueError, match="not an origin"):
        WebchatChannelSettings(allowed_origins=["https://shop.example/"])


def test_rate_limit_per_connection_and_per_address():
    limits = RateLimits(WebchatRateLimits(per_connection="3/minute", per_ip="5/minute"))
    assert [limits.message("10.0.0.1", "a") for _ in range(4)] == [True, True, True, False]
    assert [limits.message("10.0.0.1", "b") for _ in range(2)] == [True, False]
    assert limits.message("10.0.0.2", "c") is True


def test_new_conversations_per_address():
    limits = RateLimits(WebchatRateLimits(conversations_per_ip="2/minute"))
    assert [limits.new_conversation("10.0.0.1") for _ in range(3)] == [True, True, False]


def test_bad_rate_is_a_configuration_error():
    with pytest.raises(ValueError, match="not a rate limit"):
        WebchatRateLimits(per_ip="lots")


def test_socket_cap_per_address():
    counter = SocketCounter(2)
    assert [counter.acquire("a"), counter.acquire("a"), counter.acquire("a"), counter.acquire("b")] == [True, True, False, True]
    counter.release("a")
    assert counter.acquire("a") is True
    assert counter.total == 3


def test_forwarded_address_only_when_trusted():
    forwarded = request(**{"X-Forwarded-For": "203.0.113.9, 198.51.100.7"})
    assert client_address(forwarded, WebchatChannelSettings()) != "198.51.100.7"
    assert client_address(forwarded, WebchatChannelSettings(trust_x_forwarded_for=True)) == "198.51.100.7"
