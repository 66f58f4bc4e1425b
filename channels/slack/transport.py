"""The Slack transport: a slack-bolt `AsyncApp` served at `/slack/events` on the shared aiohttp app.

Upstream: slack-bolt for Python (https://tools.slack.dev/bolt-python/), the
Events API (https://api.slack.com/apis/events-api), request signing
(https://api.slack.com/authentication/verifying-requests-from-slack) and
interactivity (https://api.slack.com/interactivity/handling).

Bolt verifies the signature (HMAC-SHA256 over `v0:<timestamp>:<body>`,
timestamps more than 300 s away refused), answers `url_verification` and the
unsigned `ssl_check`, and drops our own bot's events. Listeners run before the
response (`process_before_response`), so Slack gets its 200 only after
`accept` has committed and queued the payload; a retry (`X-Slack-Retry-Num`)
or a repeated `event_id` meets the same idempotency key and creates nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from aiohttp import ClientError, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from channels.slack.actions import ACTION_PATTERN, PageActions
from config.slack import SlackChannelSettings
from frontdesk.channel import Accept
from frontdesk.errors import ConfigError, IntakeUnavailableError

log = logging.getLogger(__name__)

SLUG = "slack"
PATH = "/slack/events"
_TIMESTAMP = re.compile(r"^\d{1,12}$")
REPORTED = "Thanks, this message is now a complaint case. Its author will get a reply in its thread."


def secret_of(value: Any) -> str:
    """The plain value of an optional SecretStr, '' when unset."""
    return value.get_secret_value() if value is not None else ""


def web_client(settings: SlackChannelSettings) -> AsyncWebClient:
    """The async Web API client the bolt app and its listeners use; refuses to start without a bot token."""
    token = secret_of(settings.bot_token)
    if not token:
        raise ConfigError(f"channels.slack.bot_token: empty; set the environment variable {settings.bot_token_env}")
    return AsyncWebClient(token=token, base_url=settings.api_url, timeout=10)


def build_app(settings: SlackChannelSettings, accept: Accept, actions: PageActions,
              client: AsyncWebClient | None = None) -> "SlackEvents":
    """The bolt app with Frontdesk's listeners, wrapped for aiohttp.

    Raises ConfigError when the signing secret is empty (in HTTP mode every
    request would be refused or, worse, unverifiable).
    """
    secret = secret_of(settings.signing_secret)
    if not secret and not settings.socket_mode:
        raise ConfigError(
            f"channels.slack.signing_secret: empty; set the environment variable {settings.signing_secret_env}")
    client = client or web_client(settings)
    identity = BotIdentity(client)
    app = AsyncApp(
        client=AsyncWebClient(base_url=client.base_url, timeout=client.timeout), authorize=identity.authorizer(),
        signing_secret=secret,
        # Socket Mode messages are not signed: the app-level token authenticates the connection.
        request_verification_enabled=not settings.socket_mode,
        process_before_response=True, logger=logging.getLogger("channels.slack.bolt"),
    )
    events = SlackEvents(settings, app, accept, actions, client)
    app.event(re.compile(".*"))(events.on_event)
    app.shortcut({"type": "message_action", "callback_id": settings.shortcut_callback_id})(events.on_report)
    app.action(ACTION_PATTERN)(events.on_button)
    return events


class BotIdentity:
    """Bolt's `authorize`: our bot token, and who our bot is (auth.test), learned without ever blocking intake.

    Bolt's own single-workspace authorization answers 200 without calling any
    listener when auth.test fails, and Slack would not re-send those events; here
    a failed auth.test only means our own posts are recognised by `bot_id` alone
    until it succeeds (tried again at most once a minute, for at most 2 s).
    """

    RETRY_AFTER = 60.0

    def __init__(self, client: AsyncWebClient):
        self.client = client
        self.known: tuple[str | None, str | None] | None = None
        self._failed_at = float("-inf")

    def authorizer(self):
        """The function bolt calls (it passes arguments by parameter name, so not a bound method)."""
        async def authorize(enterprise_id, team_id, user_id) -> AuthorizeResult:
            return await self.result_for(enterprise_id, team_id, user_id)
        return authorize

    async def result_for(self, enterprise_id, team_id, user_id) -> AuthorizeResult:
        """The AuthorizeResult for every request: one workspace, one bot token."""
        loop = asyncio.get_running_loop()
        if self.known is None and loop.time() - self._failed_at > self.RETRY_AFTER:
            try:
                response = await asyncio.wait_for(self.client.auth_test(), 2.0)
                self.known = (response.get("user_id"), response.get("bot_id"))
            except (SlackClientError, ClientError, asyncio.TimeoutError, OSError) as error:
                self._failed_at = loop.time()
                log.warning("slack: auth.test failed (%s); taking events without knowing our bot user", error)
        bot_user_id, bot_id = self.known or (None, None)
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
                               bot_token=self.client.token, bot_user_id=bot_user_id, bot_id=bot_id)


class SlackEvents:
    """The listeners, and the aiohttp handler that feeds bolt."""

    def __init__(self, settings: SlackChannelSettings, app: AsyncApp, accept: Accept, actions: PageActions,
                 client: AsyncWebClient):
        self.settings = settings
        self.app = app
        self.accept = accept
        self.actions = actions
        self.client = client
        self._background: set[asyncio.Task] = set()

    async def handle(self, request: web.Request) -> web.Response:
        """`POST /slack/events`: bound the body, hand it to bolt, answer with bolt's response."""
        limit = self.settings.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            return web.json_response({"error": f"body larger than {limit} bytes"}, status=413)
        body = await request.content.read(limit + 1)
        if len(body) > limit:
            return web.json_response({"error": f"body larger than {limit} bytes"}, status=413)
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        if timestamp is not None and not _TIMESTAMP.match(timestamp):
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response({"error": "body is not UTF-8"}, status=400)
        # Bolt parses the body before it checks the signature and fails on anything but an object.
        try:
            shape_ok = isinstance(parse_body(text, request.headers.get("Content-Type")), dict)
        except ValueError:
            shape_ok = False
        if not shape_ok:
            return web.json_response({"error": "body is not a JSON object or a form"}, status=400)
        bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=dict(request.headers))
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    async def on_event(self, ack, body: dict, context, request: AsyncBoltRequest) -> BoltResponse | None:
        """Any Events API callback: commit and queue the envelope as received; the worker parses it."""
        meta = {"kind": "event", "bot_user_id": context.bot_user_id or "", **_retry_meta(request)}
        event_id = body.get("event_id")
        # Over HTTP the bytes as Slack sent them; Socket Mode hands over the payload already decoded.
        raw = request.raw_body.encode("utf-8") if request.raw_body else json.dumps(body).encode("utf-8")
        if isinstance(event_id, str) and 0 < len(event_id) <= 255:
            refused = await self._accept(event_id, raw, meta)
        else:
            refused = await self._accept("", raw, meta, quarantine="event without event_id")
        if refused is None:
            await ack()
        return refused

    async def on_report(self, ack, body: dict, context) -> BoltResponse | None:
        """The "Report as complaint" message shortcut, keyed by the reported message: reported twice, it is one."""
        channel, reporter = _id_of(body.get("channel")), _id_of(body.get("user"))
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        ts = message.get("ts")
        meta = {"kind": "shortcut", "bot_user_id": context.bot_user_id or ""}
        raw = json.dumps(body).encode("utf-8")
        if channel and isinstance(ts, str) and 0 < len(ts) <= 40:
            refused = await self._accept(f"report:{channel}:{ts}", raw, meta)
        else:
            refused = await self._accept("", raw, meta, quarantine="shortcut without a channel or message ts")
        if refused is not None:
            return refused
        await ack()
        if channel and reporter:
            self._later(self._tell(channel, reporter, REPORTED))
        return None

    async def on_button(self, ack, body: dict, action: dict) -> None:
        """Acknowledge / Escalate / Resolve on a page: authorised, idempotent, audited (see PageActions)."""
        await ack()
        user = _id_of(body.get("user"))
        container = body.get("container") if isinstance(body.get("container"), dict) else {}
        channel = container.get("channel_id") or _id_of(body.get("channel"))
        action_id, value = str(action.get("action_id", "")), str(action.get("value", ""))
        outcome = await asyncio.to_thread(self.actions.apply, action_id, value, user)
        if outcome.notice and isinstance(channel, str) and channel and user:
            self._later(self._tell(channel, user, outcome.notice))

    async def _accept(self, external_id: str, body: bytes, meta: dict[str, str],
                      quarantine: str | None = None) -> BoltResponse | None:
        try:
            await self.accept(SLUG, external_id, body, meta=meta, quarantine=quarantine)
        except IntakeUnavailableError as error:
            log.warning("slack: intake unavailable, Slack will retry: %s", error)
            return BoltResponse(status=503, body=json.dumps({"error": "intake unavailable"}),
                                headers={"Retry-After": "5"})
        return None

    async def _tell(self, channel: str, user: str, text: str) -> None:
        # Feedback goes through the Web API at `api_url`: a payload's response_url is never followed.
        try:
            await self.client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SlackClientError as error:
            log.info("slack: ephemeral notice to %s failed: %s", user, error)

    def _later(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _id_of(value: Any) -> str:
    """The `id` of a `{"id": ...}` object in a payload, or ''."""
    found = value.get("id") if isinstance(value, dict) else None
    return found if isinstance(found, str) else ""


def _retry_meta(request: AsyncBoltRequest) -> dict[str, str]:
    meta = {}
    for header, key in (("x-slack-retry-num", "retry_num"), ("x-slack-retry-reason", "retry_reason")):
        values = request.headers.get(header)
        if values:
            meta[key] = str(values[0])[:64]
    return meta
