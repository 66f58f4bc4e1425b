"""`frontdesk demo` against a platform that says no: a line naming why and an exit status, never a traceback."""

from __future__ import annotations

import io

from rich.console import Console

from frontdesk.demo.runner import run_demo
from frontdesk.redis_server import EmbeddedRedis
from tests.harness import API_TOKEN


def run_against(url: str, token: str) -> tuple[int, str]:
    out = io.StringIO()
    status = run_demo(url, token, timeout=5, console=Console(file=out, width=300, color_system=None))
    return status, out.getvalue()


def test_a_wrong_token_is_named(platform):
    status, output = run_against(platform.url, "not-the-token")
    assert status == 2
    assert f"The platform at {platform.url} refused the API token (401)" in output
    assert "Traceback" not in output


def test_a_platform_whose_redis_is_gone_is_named(make_platform, tmp_path):
    own_redis = EmbeddedRedis(tmp_path / "own-redis").start()
    platform = make_platform(redis_url=own_redis.url)
    own_redis.stop()
    status, output = run_against(platform.url, API_TOKEN)
    assert status == 1
    assert f"The platform at {platform.url} answered 503 after 0 of the demo's messages" in output
