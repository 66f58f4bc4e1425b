"""Socket Mode's connection as /healthz sees it.

slack_sdk's client reconnects by itself and, when Slack refuses the app-level token (revoked or mistyped:
`invalid_auth`), tries again forever, logging each failure, while the channel's task goes on running.
`SocketModeWatch` checks every few seconds whether the client is connected, and keeps the last error the SDK
logged while connecting, so a refused token shows as "failing: socket mode: invalid_auth, 3 checks in a row…".
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError

from frontdesk.channel import PollHealth

CHECK_SECONDS = 2.0
STREAM = "socket mode"


class SocketModeWatch(logging.Handler):
    """Hand `logger` to the SDK's client and run `watch(client)` beside it; `health.problem()` says what fails."""

    def __init__(self, name: str = "channels.slack.socket_mode.sdk"):
        super().__init__(level=logging.ERROR)
        self.health = PollHealth(tries="checks")
        self.last_error: str | None = None
        self.logger = logging.getLogger(name)

    def __enter__(self) -> "SocketModeWatch":
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.logger.removeHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            self.last_error = describe(error)

    async def watch(self, client, every: float = CHECK_SECONDS) -> None:
        """Until cancelled: every `every` seconds, connected or not (and why not)."""
        while True:
            await asyncio.sleep(every)
            if await client.is_connected():
                self.last_error = None
                self.health.ok(STREAM)
            else:
                self.health.failed(STREAM, self.last_error or "not connected")


def describe(error: BaseException) -> str:
    """Slack's error code for an API refusal (`invalid_auth`, `account_inactive`), else the exception's type."""
    if isinstance(error, SlackApiError) and isinstance(error.response.get("error"), str):
        return error.response["error"]
    return type(error).__name__
