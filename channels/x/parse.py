"""Parse X API v2 tweets (https://docs.x.com/x-api/posts/lookup/introduction) into Messages.

Pure: the poller's envelope in (one tweet, the `includes` users and tweets
it refers to, the page's `errors`), a Message out. Threads by
`conversation_id`; the author's handle and display name come from the
`author_id` expansion; an author X could not return (deleted, suspended)
or a protected one is marked in `reply_to["author_state"]`.
"""

from __future__ import annotations

import html

from frontdesk.errors import MalformedPayloadError, UnsupportedEventError
from frontdesk.mentions import envelope as envelopes
from frontdesk.models import FLAG_OWN, Contact, Message, RawInbound

SLUG = "x"


def parse(raw: RawInbound) -> Message:
    """One envelope to one Message; retweets are UnsupportedEventError, broken envelopes MalformedPayloadError."""
    envelope, tweet = envelopes.read(raw, "tweet")
    refs = {ref.get("type"): str(ref.get("id")) for ref in tweet.get("referenced_tweets") or [] if isinstance(ref, dict)}
    if "retweeted" in refs:
        raise UnsupportedEventError(f"tweet {tweet['id']} is a retweet")
    text = tweet.get("text")
    author_id = tweet.get("author_id")
    if not isinstance(text, str) or not isinstance(author_id, str):
        raise MalformedPayloadError("tweet needs text and author_id (request the author_id expansion)", field="tweet")
    author, state = _author(envelope, author_id)
    tweet_id = str(tweet["id"])
    own = author_id == str(envelope.get("account_id") or "")
    reply_to = {
        "tweet_id": tweet_id,
        "author_id": author_id,
        "author_username": author.get("username", ""),
        "author_state": state,
        "conversation_id": str(tweet.get("conversation_id") or tweet_id),
        "in_reply_to_user_id": str(tweet.get("in_reply_to_user_id") or ""),
        "replied_to_id": refs.get("replied_to", ""),
        "stream": str(envelope.get("stream") or "mentions"),
        "url": f"https://x.com/{author.get('username') or 'i/web'}/status/{tweet_id}",
    }
    return Message(
        id=raw.id, channel=SLUG, external_id=tweet_id,
        sender=Contact(channel=SLUG, handle=author_id, name=author.get("name") or None),
        text=html.unescape(text), thread_key=reply_to["conversation_id"],
        thread_refs=tuple(ref for ref in (refs.get("replied_to"), refs.get("quoted")) if ref),
        own_ids=(tweet_id,), sent_at=envelopes.timestamp(tweet.get("created_at"), raw.received_at),
        received_at=raw.received_at, public=True, flags=frozenset({FLAG_OWN} if own else ()),
        reply_to=reply_to, language=tweet.get("lang") if isinstance(tweet.get("lang"), str) else None,
    )


def _author(envelope: dict, author_id: str) -> tuple[dict, str]:
    includes = envelope.get("includes") if isinstance(envelope.get("includes"), dict) else {}
    for user in includes.get("users") or []:
        if isinstance(user, dict) and user.get("id") == author_id:
            return user, "protected" if user.get("protected") else "ok"
    return {}, "unavailable"
