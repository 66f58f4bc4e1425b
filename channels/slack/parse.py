"""Slack payloads to `Message`: Events API callbacks and the "Report as complaint" message shortcut.

Upstream: the Events API (https://api.slack.com/apis/events-api), the
`app_mention` and `message.im` events (https://api.slack.com/events), message
formatting (https://api.slack.com/reference/surfaces/formatting) and message
shortcut payloads (https://api.slack.com/reference/interaction-payloads/shortcuts).

Pure: bytes in, `Message` out, no I/O. The transport stores the raw JSON of
the event envelope, or of the shortcut's `payload` form field, and may add
`raw.meta["bot_user_id"]` (from `auth.test`) so our own posts are recognised.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Callable

from frontdesk.errors import MalformedPayloadError, UnsupportedEventError
from frontdesk.models import Contact, Message, RawInbound

SLUG = "slack"
MAX_TEXT_CHARS = 40_000  # chat.postMessage's own limit; longer text is not a Slack message

# Message subtypes that are still a person writing; every other subtype is bookkeeping.
_PERSON_SUBTYPES = frozenset({"file_share", "thread_broadcast"})
_USER_ID = re.compile(r"^[UW][A-Z0-9]{1,30}$")
_CHANNEL_ID = re.compile(r"^[CDG][A-Z0-9]{1,30}$")
_TS = re.compile(r"^\d{1,12}\.\d{1,9}$")
_ANGLE = re.compile(r"<([^<>]*)>")


def parse(raw: RawInbound) -> Message:
    """Turn one stored Slack payload into a Message.

    Raises UnsupportedEventError for well-formed payloads Frontdesk ignores
    (other event types, edits, deletions, bot posts, our own posts, channel
    chatter) and MalformedPayloadError for anything else.
    """
    payload = _load(raw.body)
    kind = payload.get("type")
    if kind == "event_callback":
        return _parse_event(raw, payload)
    if kind == "message_action":
        return parse_message_shortcut(raw, payload)
    if kind in ("url_verification", "block_actions", "shortcut", "view_submission", "app_rate_limited"):
        raise UnsupportedEventError(f"slack payload type {kind!r} is not a message")
    raise MalformedPayloadError(f"unknown slack payload type {kind!r}", field="type")


def _load(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedPayloadError(f"not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise MalformedPayloadError("the payload is not a JSON object")
    return payload


def _parse_event(raw: RawInbound, payload: dict[str, Any]) -> Message:
    event = payload.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise MalformedPayloadError("event_callback without an event type", field="event.type")
    parser = EVENT_PARSERS.get(event["type"])
    if parser is None:
        raise UnsupportedEventError(f"slack event {event['type']!r} is ignored")
    return parser(raw, event)


def parse_app_mention(raw: RawInbound, event: dict[str, Any]) -> Message:
    """`@frontdesk …` in a channel: the mention of the bot is dropped from the text."""
    _refuse_bots(raw, event)
    return _message(raw, event, channel=_field(event, "channel", _CHANNEL_ID), author=_field(event, "user", _USER_ID))


def parse_message(raw: RawInbound, event: dict[str, Any]) -> Message:
    """A direct message to the app (`message.im`); channel messages arrive as app_mention instead."""
    subtype = event.get("subtype")
    if subtype is not None and subtype not in _PERSON_SUBTYPES:
        raise UnsupportedEventError(f"message subtype {subtype!r} is ignored")
    _refuse_bots(raw, event)
    if event.get("channel_type") != "im":
        raise UnsupportedEventError(f"message in a {event.get('channel_type')!r} channel without a mention is ignored")
    return _message(raw, event, channel=_field(event, "channel", _CHANNEL_ID), author=_field(event, "user", _USER_ID))


def parse_message_shortcut(raw: RawInbound, payload: dict[str, Any]) -> Message:
    """"Report as complaint" on someone's message: the message's author is the complainant.

    The staff member who used the shortcut goes into `reply_to["reported_by"]`.
    """
    message = payload.get("message")
    channel = payload.get("channel")
    reporter = payload.get("user")
    if not isinstance(message, dict) or not isinstance(channel, dict) or not isinstance(reporter, dict):
        raise MalformedPayloadError("message_action without message, channel or user")
    if message.get("bot_id") or message.get("subtype") == "bot_message":
        raise UnsupportedEventError("a bot's message cannot be reported as a complaint")
    built = _message(raw, message, channel=_field(channel, "id", _CHANNEL_ID), author=_field(message, "user", _USER_ID))
    reply_to = {**built.reply_to, "reported_by": _field(reporter, "id", _USER_ID)}
    return built.model_copy(update={"reply_to": reply_to})


EVENT_PARSERS: dict[str, Callable[[RawInbound, dict[str, Any]], Message]] = {
    "app_mention": parse_app_mention,
    "message": parse_message,
}


def _refuse_bots(raw: RawInbound, event: dict[str, Any]) -> None:
    if event.get("bot_id") or event.get("subtype") == "bot_message" or event.get("bot_profile"):
        raise UnsupportedEventError("messages from bots are ignored")
    # Only auth.test names our bot user reliably; `authorizations` may list any installation.
    if raw.meta.get("bot_user_id") and event.get("user") == raw.meta["bot_user_id"]:
        raise UnsupportedEventError("our own message is ignored")


def _message(raw: RawInbound, event: dict[str, Any], *, channel: str, author: str) -> Message:
    ts = _field(event, "ts", _TS)
    thread_ts = event.get("thread_ts") or ts
    if not isinstance(thread_ts, str) or not _TS.match(thread_ts):
        raise MalformedPayloadError(f"bad thread_ts {thread_ts!r}", field="event.thread_ts")
    text = event.get("text")
    if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
        raise MalformedPayloadError("text missing, not a string or too long", field="event.text")
    text = plain_text(text, drop_user=raw.meta.get("bot_user_id"))
    if not text.strip():
        raise UnsupportedEventError("a message with no text is ignored")
    # A reply continues its thread. A message of its own (a DM, a mention) is keyed by nothing but its own
    # id, which its thread's replies name: so it continues its sender's open case, as on every channel,
    # rather than opening a case per line of a DM.
    reply = thread_ts != ts
    return Message(
        id=raw.id,
        channel=SLUG,
        external_id=raw.external_id,
        sender=Contact(channel=SLUG, handle=author),
        text=text,
        thread_key=f"{channel}:{thread_ts}" if reply else None,
        own_ids=() if reply else (f"{channel}:{ts}",),
        sent_at=datetime.fromtimestamp(float(ts), tz=timezone.utc),
        received_at=raw.received_at,
        reply_to={"channel": channel, "thread_ts": thread_ts, "ts": ts},
    )


def _field(container: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    value = container.get(name)
    if not isinstance(value, str) or not pattern.match(value):
        raise MalformedPayloadError(f"bad or missing {name!r}: {str(value)[:40]!r}", field=name)
    return value


def plain_text(text: str, *, drop_user: str | None = None) -> str:
    """Slack's wire markup to plain text: `<@U1>` → `@U1`, `<#C1|x>` → `#x`, `<!here>` → `@here`,
    `<url|label>` → `label (url)`, then `&lt; &gt; &amp;` back to characters.

    A mention of `drop_user` (the bot) is removed, so "@frontdesk help" reads "help".
    """
    if drop_user:
        text = re.sub(rf"<@{re.escape(drop_user)}(\|[^>]*)?>\s*", "", text)
    text = _ANGLE.sub(_plain_link, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _plain_link(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return label or "@" + target[1:].split("^", 1)[0]
    return f"{label} ({target})" if label and label != target else target
