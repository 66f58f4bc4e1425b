"""SlackAdapter: start-up checks, and intake over Socket Mode through the fake's WebSocket."""

from __future__ import annotations

import copy
import time

import pytest
import requests
from sqlalchemy import select

from channels.slack.adapter import SlackAdapter
from config.slack import SlackChannelSettings
from config.types import fill_secrets
from frontdesk.channel import ChannelContext, HttpChannel
from frontdesk.errors import ConfigError
from frontdesk.store.tables import MessageRow, RawPayload
from tests.channels.slack.conftest import ROSTER, SIGNING_SECRET, fixture
from tests.fakes.slack_api import BOT_TOKEN, BOT_USER_ID

APP_TOKEN = "xapp-1-A111-1111-fake"


def test_http_mode_needs_a_signing_secret():
    with pytest.raises(ConfigError, match="signing_secret.*SLACK_SIGNING_SECRET"):
        SlackAdapter(SlackChannelSettings(enabled=True), ChannelContext(settings=None))


def test_socket_mode_needs_an_app_token():
    settings = SlackChannelSettings(enabled=True, socket_mode=True)
    fill_secrets(settings, {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN})
    with pytest.raises(ConfigError, match="app_token"):
        SlackAdapter(settings, ChannelContext(settings=None))


def test_a_bot_token_is_needed_too():
    settings = SlackChannelSettings(enabled=True)
    fill_secrets(settings, {"SLACK_SIGNING_SECRET": SIGNING_SECRET})
    with pytest.raises(ConfigError, match="bot_token.*SLACK_BOT_TOKEN"):
        SlackAdapter(settings, ChannelContext(settings=None))


def test_the_adapter_is_an_http_channel_with_a_pure_parser():
    settings = SlackChannelSettings(enabled=True)
    fill_secrets(settings, {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN})
    adapter = SlackAdapter(settings, ChannelContext(settings=None))
    assert isinstance(adapter, HttpChannel) and adapter.slug == "slack"


def test_socket_mode_intake_acks_after_the_payload_is_stored(fake_slack, make_platform):
    platform = make_platform(
        environ={"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_TOKEN": BOT_TOKEN},
        channels={"slack": {"enabled": True, "socket_mode": True, "api_url": fake_slack.base_url}},
        outbound={"slack": {"api_url": fake_slack.base_url}},
        oncall=ROSTER,
    )
    assert requests.post(f"{platform.url}/slack/events", data=b"{}", timeout=10).status_code == 404
    envelope = copy.deepcopy(fixture("socket_mode__events_api_app_mention"))
    envelope["payload"]["event"]["text"] = f"<@{BOT_USER_ID}> the delivery driver was rude and broke the gate"
    fake_slack.wait_for("apps.connections.open")
    fake_slack.push_envelope(envelope)
    fake_slack.push_envelope(envelope)  # Slack re-sends an envelope that was not acked in time
    fake_slack.wait_for_ack(envelope["envelope_id"])
    with platform.services.sessions() as session:
        (raw,) = session.scalars(select(RawPayload)).all()
        assert raw.idempotency_key == "slack:Ev111"
    platform.work()
    with platform.services.sessions() as session:
        message = session.scalars(select(MessageRow)).one()
        assert message.text == "the delivery driver was rude and broke the gate"
    assert fake_slack.calls_to("apps.connections.open")[0].token == APP_TOKEN


def slack_state_once_it(platform, wanted, timeout: float = 30.0) -> str:
    """Poll /healthz (bounded) until Slack's state satisfies `wanted`; the last state seen."""
    deadline = time.monotonic() + timeout
    state = ""
    while not wanted(state) and time.monotonic() < deadline:
        time.sleep(0.2)
        state = requests.get(f"{platform.url}/healthz", timeout=10).json()["channels"]["slack"]
    return state


def test_a_refused_app_token_shows_in_healthz_until_socket_mode_connects(fake_slack, make_platform):
    fake_slack.fail_next("apps.connections.open", "token_revoked", times=1000)
    platform = make_platform(
        environ={"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_TOKEN": BOT_TOKEN},
        channels={"slack": {"enabled": True, "socket_mode": True, "api_url": fake_slack.base_url}},
        oncall=ROSTER,
    )
    state = slack_state_once_it(platform, lambda s: s.startswith("failing"))
    assert state.startswith("failing: socket mode: token_revoked, ") and " checks in a row since " in state
    health = requests.get(f"{platform.url}/healthz", timeout=10).json()
    assert health["status"] == "degraded"
    fake_slack.clear_failures()  # the operator put a good token in; the SDK's next try connects
    assert slack_state_once_it(platform, lambda s: s == "running") == "running"
