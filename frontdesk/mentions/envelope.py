"""The envelope a social poller hands to `accept`: one post with what its parser needs beside it.

X: `{"stream", "account_id", "tweet", "includes": {"users", "tweets"}, "errors"}`;
Mastodon: `{"stream", "account_id", "status", "root_id"}`. `stream` names the
poll stream (`mentions`, `search:<query>`, `tag:<hashtag>`); `account_id` is our
own account on that network, so parsers can flag our own posts.
"""

from __future__ import annotations

import json
from datetime import datetime

from frontdesk.errors import MalformedPayloadError
from frontdesk.models import RawInbound

MAX_ENVELOPE_BYTES = 1024 * 1024


def encode(envelope: dict) -> bytes:
    """The envelope as compact UTF-8 JSON bytes (what is stored as the raw payload)."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def read(raw: RawInbound, post_key: str) -> tuple[dict, dict]:
    """The envelope and its post object (`tweet` or `status`); MalformedPayloadError when either is missing."""
    if len(raw.body) > MAX_ENVELOPE_BYTES:
        raise MalformedPayloadError(f"envelope larger than {MAX_ENVELOPE_BYTES} bytes")
    try:
        envelope = json.loads(raw.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedPayloadError(f"not valid JSON: {error}") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get(post_key), dict):
        raise MalformedPayloadError(f"envelope has no {post_key!r} object", field=post_key)
    post = envelope[post_key]
    for name in ("id",):
        if not isinstance(post.get(name), (str, int)) or not str(post[name]).strip():
            raise MalformedPayloadError(f"{post_key}.{name} missing", field=f"{post_key}.{name}")
    return envelope, post


def timestamp(value: object, fallback: datetime) -> datetime:
    """An RFC 3339 time from the provider (`2021-04-08T19:33:56.000Z`), or `fallback` when absent or bad."""
    if not isinstance(value, str):
        return fallback
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return fallback
    return parsed if parsed.tzinfo else fallback
