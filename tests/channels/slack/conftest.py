"""Fixtures for the Slack channel: the fake Web API and a platform with Slack enabled and a two-person roster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from outbound.slack import ACTION_IDS, ACTIONS_BLOCK_ID
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackApi, interaction_body, signed_headers

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "slack"
DANA, SAM, MALLORY = "U0DANA", "U0SAM", "U0MALLORY"
ROSTER = {
    "people": [
        {"id": "dana", "name": "Dana", "contact": {"slack": DANA}, "notify": [{"notify": "slack"}]},
        {"id": "sam", "name": "Sam", "contact": {"slack": SAM}, "notify": [{"notify": "slack"}]},
    ],
    "escalation": {"chain": ["dana", "sam"], "ack_timeout": "10m", "rounds": 1},
}


def fixture(name: str) -> dict:
    """A payload from tests/fixtures/slack/."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def fake_slack():
    """The fake Slack Web API, for the bolt app and the sender alike."""
    with FakeSlackApi() as api:
        yield api


@pytest.fixture
def slack_platform(fake_slack, make_platform):
    """A running platform with the Slack channel and sender pointed at the fake, and Dana and Sam on call."""
    return make_platform(
        environ={"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN},
        channels={"slack": {"enabled": True, "api_url": fake_slack.base_url, "shortcut_callback_id": "test-shortcut"}},
        outbound={"slack": {"api_url": fake_slack.base_url, "timeout": "5s"}},
        oncall=ROSTER,
    )


class SlackClient:
    """Sends what Slack would send to the platform's `/slack/events`, signed unless told otherwise."""

    def __init__(self, platform):
        self.url = f"{platform.url}/slack/events"

    def post(self, body: bytes, *, content_type: str = "application/json", secret: str = SIGNING_SECRET,
             timestamp: float | None = None, headers: dict[str, str] | None = None) -> requests.Response:
        """POST raw bytes with Slack's signature headers (made with `secret` at `timestamp`)."""
        sent = {**signed_headers(secret, body, timestamp=timestamp, content_type=content_type), **(headers or {})}
        return requests.post(self.url, data=body, headers=sent, timeout=30)

    def event(self, payload: dict, **kwargs) -> requests.Response:
        """An Events API callback."""
        return self.post(json.dumps(payload).encode(), **kwargs)

    def interaction(self, payload: dict, **kwargs) -> requests.Response:
        """An interactivity payload (shortcut, button click)."""
        return self.post(interaction_body(payload), content_type="application/x-www-form-urlencoded", **kwargs)

    def click(self, action: str, case_id: int | str, user: str, channel: str = "D0DANA", **kwargs) -> requests.Response:
        """A click on one of a page's buttons, shaped like bolt-python's block_actions fixture."""
        payload = fixture("block_actions__button")
        payload["user"] = {**payload["user"], "id": user}
        payload["container"] = {"type": "message", "message_ts": "1700000000.000100", "channel_id": channel,
                                "is_ephemeral": False}
        payload["channel"] = {"id": channel, "name": "directmessage"}
        # The ids outbound/slack.py lays out: a rename on one side only fails these tests.
        payload["actions"][0].update(action_id=ACTION_IDS[action], block_id=ACTIONS_BLOCK_ID, value=str(case_id))
        return self.interaction(payload, **kwargs)


@pytest.fixture
def slack(slack_platform) -> SlackClient:
    """A Slack stand-in posting to the platform."""
    return SlackClient(slack_platform)
