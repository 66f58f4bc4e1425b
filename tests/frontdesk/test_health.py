"""GET /healthz: the stores, the queues and every channel's transport, as an operator's monitoring reads them."""

from __future__ import annotations

import socket
import time

import requests

from frontdesk.redis_server import EmbeddedRedis


def health(platform) -> requests.Response:
    return requests.get(f"{platform.url}/healthz", timeout=10)


def test_a_healthy_platform_names_its_channels_running(platform):
    answer = health(platform)
    assert answer.status_code == 200
    report = answer.json()
    assert (report["status"], report["redis"], report["database"]) == ("ok", "ok", "ok")
    assert report["channels"] and set(report["channels"].values()) == {"running"}
    assert "api" in report["channels"] and "buffer:intake" in report["queues"]


def test_a_channel_whose_listener_cannot_start_is_degraded_and_the_rest_still_serve(make_platform):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        platform = make_platform(channels={"email": {"smtp": {"port": taken.getsockname()[1]}}})
        deadline = time.monotonic() + 10
        while health(platform).json()["channels"]["email"] == "running" and time.monotonic() < deadline:
            time.sleep(0.1)
        answer = health(platform)
    report = answer.json()
    assert answer.status_code == 200 and report["status"] == "degraded"
    email = report["channels"]["email"]
    assert email.startswith("stopped: OSError") and "address already in use" in email
    assert report["channels"]["api"] == "running"
    accepted = platform.post_message({"external_id": "h-1", "sender": {"handle": "zoe"}, "text": "Still late."})
    assert accepted.status_code == 202
    metrics = requests.get(f"{platform.url}/metrics", timeout=10).text
    assert 'frontdesk_channel_up{channel="email"} 0.0' in metrics
    assert 'frontdesk_channel_up{channel="api"} 1.0' in metrics


def test_redis_gone_is_503_naming_it(make_platform, tmp_path):
    own_redis = EmbeddedRedis(tmp_path / "own-redis").start()
    platform = make_platform(redis_url=own_redis.url)
    own_redis.stop()
    answer = health(platform)
    assert answer.status_code == 503
    report = answer.json()
    assert report["status"] == "degraded" and report["redis"].startswith("unavailable") and report["database"] == "ok"
