"""Settings of the Slack channel (`channels.slack`) and the Slack sender (`outbound.slack`).

Both read the bot token from the same environment variable by default, so an
operator sets it once. The signing secret, bot token and app-level token are
secrets: the YAML names the variable, never the value.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr

from config.types import Duration, Section
from frontdesk.models import Urgency

SLACK_API_URL = "https://slack.com/api/"


def _api_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value if value.endswith("/") else value + "/"


ApiUrl = Annotated[str, AfterValidator(_api_url)]


class SlackChannelSettings(Section):
    """Slack intake: Events API and interactivity at `/slack/events`, optionally Socket Mode.

    `signing_secret` is required when enabled (start-up refuses an empty one);
    `app_token` (xapp-…) only for `socket_mode`. `shortcut_callback_id` is the
    callback id of the message shortcut "Report as complaint" in the app's manifest.
    """

    enabled: bool = False
    signing_secret_env: str = "SLACK_SIGNING_SECRET"
    signing_secret: SecretStr | None = Field(None, json_schema_extra={"secret_env": "signing_secret_env"})
    bot_token_env: str = "SLACK_BOT_TOKEN"
    bot_token: SecretStr | None = Field(None, json_schema_extra={"secret_env": "bot_token_env"})
    socket_mode: bool = False
    app_token_env: str = "SLACK_APP_TOKEN"
    app_token: SecretStr | None = Field(None, json_schema_extra={"secret_env": "app_token_env"})
    api_url: ApiUrl = SLACK_API_URL
    shortcut_callback_id: str = Field("report_complaint", pattern=r"^[A-Za-z0-9_.-]{1,255}$")
    max_body_bytes: int = Field(512 * 1024, ge=4096, le=16 * 1024 * 1024)



class SlackSenderSettings(Section):
    """The Slack sender: thread replies, paging DMs with buttons, the optional incident channel.

    `incident_channel` (a channel id, C…) receives a post for every case whose
    urgency is in `broadcast_urgencies`, updated in place as the case moves.
    """

    bot_token_env: str = "SLACK_BOT_TOKEN"
    bot_token: SecretStr | None = Field(None, json_schema_extra={"secret_env": "bot_token_env"})
    api_url: ApiUrl = SLACK_API_URL
    timeout: Duration = timedelta(seconds=10)
    incident_channel: str | None = Field(None, pattern=r"^[CG][A-Z0-9]{2,}$")
    broadcast_urgencies: list[Urgency] = Field(default_factory=lambda: ["critical"])

