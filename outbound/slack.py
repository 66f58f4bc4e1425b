"""The Slack sender: thread replies to Slack complainants, paging DMs with buttons, pages rewritten in place.

Upstream: the Slack Web API through slack_sdk's `WebClient` —
`chat.postMessage` (https://api.slack.com/methods/chat.postMessage),
`chat.update` (https://api.slack.com/methods/chat.update),
`conversations.open` (https://api.slack.com/methods/conversations.open) — and
Block Kit (https://api.slack.com/reference/block-kit/blocks).

Targets: `C…:<thread_ts>` answers in a thread; `U…`/`W…` is a person, reached
by DM; `C…`/`G…`/`D…` alone posts to that conversation (the incident
channel). The provider id of a sent message is `<channel>:<ts>`, which
`update` takes back. Every character that came from outside is escaped for
mrkdwn (`&`, `<`, `>`), so a visitor's `<!everyone>` is shown, never obeyed.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

from redis.exceptions import RedisError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from config.slack import SlackSenderSettings
from frontdesk.models import DeliveryResult, Message, Rendered
from frontdesk.sender import SenderContext

log = logging.getLogger(__name__)

SLUG = "slack"
ACTION_IDS = {"acknowledge": "frontdesk_acknowledge", "escalate": "frontdesk_escalate", "resolve": "frontdesk_resolve"}
ACTIONS_BLOCK_ID = "frontdesk_page"
SECTION_LIMIT = 3000  # Block Kit's limit on a section's text
HEADER_LIMIT = 150
# Slack error codes that mean "try again later", besides HTTP 429 and 5xx.
RETRYABLE_ERRORS = frozenset({"ratelimited", "rate_limited", "service_unavailable", "fatal_error",
                              "internal_error", "request_timeout", "team_added_to_org"})
_PERSON = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CONVERSATION = re.compile(r"^[CDG][A-Z0-9]{2,}$")
_TS = re.compile(r"^\d{1,12}\.\d{1,9}$")
# Which buttons a page shows for each status of its case (escalating needs an unacknowledged case).
_BUTTONS = {
    "open": ("acknowledge", "escalate", "resolve"),
    "acknowledged": ("resolve",),
    "resolved": (),
}


def escape_mrkdwn(text: str, limit: int = SECTION_LIMIT) -> str:
    """Escape `&`, `<`, `>` as Slack asks, cut to `limit` characters without splitting an entity."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    entity = cut.rfind("&")
    if entity != -1 and ";" not in cut[entity:]:
        cut = cut[:entity]
    return cut + "…"


def _link(url: str, label: str) -> str:
    if not re.match(r"^https?://[^\s<>|]+$", url):
        return escape_mrkdwn(label)
    return f"<{escape_mrkdwn(url)}|{escape_mrkdwn(label)}>"


def page_blocks(rendered: Rendered) -> list[dict]:
    """The Block Kit layout of a page: summary, urgency, reasons, link, where the case stands, buttons.

    `rendered.meta` gives `case_id`, `case_ref`, `urgency`, `reasons` (joined
    by " | " or newlines), `case_url`, and on refreshes `status` (open,
    acknowledged, resolved), `acknowledged_by` and `acknowledged_at` (ISO 8601).
    """
    meta = rendered.meta
    urgency = meta.get("urgency", "high")
    case_ref = meta.get("case_ref") or meta.get("case_id", "")
    title = f"{urgency.upper()} complaint · case {case_ref}"
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:HEADER_LIMIT]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": escape_mrkdwn(rendered.text or "(no text)")}},
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Urgency*\n{escape_mrkdwn(urgency, 200)}"},
            {"type": "mrkdwn", "text": f"*Case*\n{_link(meta.get('case_url', ''), case_ref)}"},
        ]},
    ]
    reasons = [part.strip() for part in re.split(r"\n| \| ", meta.get("reasons", "")) if part.strip()]
    if reasons:
        listed = "\n".join(f"• {escape_mrkdwn(reason, 250)}" for reason in reasons[:10])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Why*\n{listed}"}})
    line = state_line(meta)
    if line:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    buttons = [_button(action, meta.get("case_id", "")) for action in _BUTTONS.get(meta.get("status", "open"), ())]
    if buttons:
        blocks.append({"type": "actions", "block_id": ACTIONS_BLOCK_ID, "elements": buttons})
    return blocks


def state_line(meta: dict[str, str]) -> str:
    """"Acknowledged by Dana at 14:02" (mrkdwn, the time in each reader's own zone), or '' while open."""
    status = meta.get("status", "open")
    if status == "open":
        return ""
    by = meta.get("acknowledged_by", "")
    at = _moment(meta.get("acknowledged_at", ""))
    acknowledged = f"Acknowledged by *{escape_mrkdwn(by, 200)}*" + (f" at {at}" if at else "") if by else ""
    if status == "resolved":
        return ":white_check_mark: Resolved" + (f" · {acknowledged}" if acknowledged else "")
    return f":large_green_circle: {acknowledged or 'Acknowledged'}"


def _moment(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    fallback = moment.astimezone(timezone.utc).strftime("%H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{time}}|{fallback}>"


def _button(action: str, case_id: str) -> dict:
    button = {
        "type": "button",
        "action_id": ACTION_IDS[action],
        "text": {"type": "plain_text", "text": action.capitalize()},
        "value": case_id,
    }
    if action == "acknowledge":
        button["style"] = "primary"
    if action == "resolve":
        button["confirm"] = {
            "title": {"type": "plain_text", "text": "Resolve this case?"},
            "text": {"type": "plain_text", "text": "Paging stops and the case is closed."},
            "confirm": {"type": "plain_text", "text": "Resolve"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
    return button


def _fallback_text(rendered: Rendered, layout: bool) -> str:
    if not layout:
        return escape_mrkdwn(rendered.text)
    meta = rendered.meta
    case_ref = meta.get("case_ref", meta.get("case_id", ""))
    head = escape_mrkdwn(f"{meta.get('urgency', 'urgent')} complaint, case {case_ref}", 300)
    line = state_line(meta)
    return f"{head}: {line}" if line else head


class SlackSender:
    """Sends acknowledgments and pages through the Slack Web API; rewrites pages with `update`."""

    slug = SLUG
    resend_safe = False  # chat.postMessage has no idempotency key: a resend posts twice

    def __init__(self, settings: SlackSenderSettings, context: SenderContext | None = None, *,
                 client: WebClient | None = None):
        self.settings = settings
        self.context = context
        token = settings.bot_token.get_secret_value() if settings.bot_token else None
        timeout = int(settings.timeout.total_seconds())
        self.client = client or WebClient(token=token, base_url=settings.api_url, timeout=timeout)
        self.broadcast = IncidentBroadcast(settings, self.client, context.redis if context else None)

    def reply_target(self, message: Message) -> str | None:
        """`<channel>:<thread_ts>` for a message that came by Slack, else None."""
        channel, thread_ts = message.reply_to.get("channel", ""), message.reply_to.get("thread_ts", "")
        if message.channel != SLUG or not _CONVERSATION.match(channel) or not _TS.match(thread_ts):
            return None
        return f"{channel}:{thread_ts}"

    def send(self, target: str, rendered: Rendered) -> DeliveryResult:
        """Post `rendered` at `target`; pages and alerts carry the Block Kit layout and buttons."""
        channel, thread_ts = target.partition(":")[::2]
        try:
            if _PERSON.match(channel) and not thread_ts:
                channel = self.client.conversations_open(users=channel)["channel"]["id"]
            elif not _CONVERSATION.match(channel) or (thread_ts and not _TS.match(thread_ts)):
                return DeliveryResult(target=target, status="failed", error="bad_target",
                                      detail="not a Slack user, conversation or thread")
            content = _content(rendered, layout=rendered.kind in ("page", "alert"))
            response = self.client.chat_postMessage(channel=channel, thread_ts=thread_ts or None, **content)
        except (SlackClientError, OSError) as error:
            return failure(target, error)
        if rendered.kind == "page":
            self.broadcast.post(rendered)
        return DeliveryResult(target=target, status="sent", provider_id=f"{response['channel']}:{response['ts']}")

    def update(self, target: str, provider_id: str, rendered: Rendered) -> DeliveryResult:
        """Rewrite the message `provider_id` (`<channel>:<ts>`, as `send` returned it) with `rendered`."""
        channel, _, ts = provider_id.partition(":")
        if not _CONVERSATION.match(channel) or not _TS.match(ts):
            return DeliveryResult(target=target, status="failed", error="bad_provider_id", detail=provider_id[:100])
        try:
            self.client.chat_update(channel=channel, ts=ts, **_content(rendered, layout=True))
        except (SlackClientError, OSError) as error:
            return failure(target, error)
        self.broadcast.refresh(rendered)
        return DeliveryResult(target=target, status="sent", provider_id=provider_id)


class IncidentBroadcast:
    """The optional post of urgent cases in an incident channel: once per case, rewritten as the case moves.

    Its message id lives in Redis (`frontdesk:slack:incident:<case id>`), so every
    worker finds it; a Slack or Redis failure here never fails the page itself.
    """

    TTL = 30 * 24 * 3600

    def __init__(self, settings: SlackSenderSettings, client: WebClient, redis):
        self.channel = settings.incident_channel
        self.urgencies = set(settings.broadcast_urgencies)
        self.client = client
        self.redis = redis

    def _key(self, rendered: Rendered) -> str | None:
        case_id = rendered.meta.get("case_id", "")
        wanted = rendered.meta.get("urgency") in self.urgencies
        if not self.channel or self.redis is None or not case_id.isdigit() or not wanted:
            return None
        return f"frontdesk:slack:incident:{case_id}"

    def post(self, rendered: Rendered) -> None:
        """Post the case in the incident channel unless it already is there (or is being posted)."""
        key = self._key(rendered)
        try:
            if key is None or not self.redis.set(key, "posting", nx=True, ex=self.TTL):
                return
            try:
                response = self.client.chat_postMessage(channel=self.channel, **_content(rendered, layout=True))
            except (SlackClientError, OSError) as error:
                self.redis.delete(key)  # the next page of this case tries again
                log.warning("slack: incident broadcast of case %s failed: %s", rendered.meta.get("case_id"), error)
                return
            self.redis.set(key, f"{response['channel']}:{response['ts']}", ex=self.TTL)
        except RedisError as error:
            log.warning("slack: incident broadcast skipped, redis unavailable: %s", error)

    def refresh(self, rendered: Rendered) -> None:
        """Rewrite the incident post to the case's new state, once per state however many pages are refreshed."""
        key = self._key(rendered)
        try:
            channel, _, ts = _text(self.redis.get(key) if key else None).partition(":")
            state = "|".join(rendered.meta.get(name, "") for name in ("status", "acknowledged_by", "acknowledged_at"))
            if not _TS.match(ts) or _text(self.redis.set(f"{key}:state", state, ex=self.TTL, get=True)) == state:
                return
            self.client.chat_update(channel=channel, ts=ts, **_content(rendered, layout=True))
        except (SlackClientError, OSError, RedisError) as error:
            log.warning("slack: incident post of case %s not updated: %s", rendered.meta.get("case_id"), error)


def _text(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")


def _content(rendered: Rendered, layout: bool) -> dict:
    content: dict = {"text": _fallback_text(rendered, layout), "unfurl_links": False, "unfurl_media": False}
    if layout:
        content["blocks"] = page_blocks(rendered)
    return content


def failure(target: str, error: Exception) -> DeliveryResult:
    """A failed DeliveryResult for a slack_sdk or socket error; rate limits, 5xx and network errors are retryable."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        code = code or f"http_{status}"
        retry_after = error.response.headers.get("Retry-After") or error.response.headers.get("retry-after")
        retryable = status == 429 or status >= 500 or code in RETRYABLE_ERRORS
        detail = f"HTTP {status}" + (f", retry after {retry_after}s" if retry_after else "")
        return DeliveryResult(target=target, status="failed", error=code, retryable=retryable, detail=detail)
    log.info("slack request to %s failed: %s", target, error)
    retryable = isinstance(error, OSError)  # refused, reset, timed out; a SlackRequestError is our own bad call
    return DeliveryResult(target=target, status="failed", error=type(error).__name__, retryable=retryable,
                          detail=str(error)[:200])
