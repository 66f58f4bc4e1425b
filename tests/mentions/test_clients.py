"""frontdesk.mentions.clients: tweepy's fixed host rebased onto a configured URL, with a timeout."""

from __future__ import annotations

import pytest
import requests

from frontdesk.mentions.clients import BaseUrlAdapter, x_client
from tests.fakes.x_api import FakeXApi, Fault


def test_tweepy_requests_reach_the_configured_base_url():
    fake = FakeXApi()
    with fake.serve() as server:
        me = x_client("app-token", server.url, 2).get_me(user_auth=False)
    assert me["data"]["username"] == "TweepyDev"
    assert fake.calls[0].path == "/2/users/me"
    assert fake.calls[0].headers["Authorization"] == "Bearer app-token"


def test_a_stalled_server_times_out_instead_of_hanging():
    fake = FakeXApi()
    fake.faults.append(Fault("stall", seconds=3))
    with fake.serve() as server, pytest.raises(requests.exceptions.ReadTimeout):
        x_client("t", server.url, 0.5).get_me(user_auth=False)


def test_base_path_is_kept():
    adapter = BaseUrlAdapter("http://127.0.0.1:9/proxy/", 1)
    request = requests.Request("GET", "https://api.twitter.com/2/users/me?x=1").prepare()
    with pytest.raises(requests.exceptions.ConnectionError):
        adapter.send(request)
    assert request.url == "http://127.0.0.1:9/proxy/2/users/me?x=1"
