"""The X poller: mentions of our account and configured searches through API v2 (tweepy), oldest first.

Endpoints: `GET /2/users/:id/mentions` (https://docs.x.com/x-api/posts/user-mention-timeline-by-user-id)
and `GET /2/tweets/search/recent` (https://docs.x.com/x-api/posts/recent-search).
X pages newest first; a poll reads every page after the stream's `since_id`
(at most `max_pages`), then hands tweets to `accept` oldest first and moves
the cursor after each accepted one. When a backlog is larger than
`max_pages`, the newest part is taken first and the cursor remembers the
gap (`until_id`) still to read, so nothing is skipped. A 429 answers with the
time to wait until `x-rate-limit-reset`; the loop reschedules, never sleeps
inside a request.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import requests
import tweepy

from config.social import XChannelSettings
from frontdesk.channel import Accept, PollHealth
from frontdesk.errors import IntakeUnavailableError
from frontdesk.mentions import envelope as envelopes
from frontdesk.mentions.clients import x_client

log = logging.getLogger(__name__)

TWEET_FIELDS = ["author_id", "conversation_id", "created_at", "in_reply_to_user_id", "lang", "referenced_tweets",
                "entities"]
USER_FIELDS = ["name", "username", "protected"]
EXPANSIONS = ["author_id", "in_reply_to_user_id", "referenced_tweets.id"]
MAX_RATE_LIMIT_WAIT = 15 * 60 + 5
ACCEPT_CHUNK = 500


class MalformedPageError(ValueError):
    """A page that is not the JSON object X documents."""


@dataclass
class Batch:
    """Tweets read for one stream in one poll, with the expansions they need, and whether the range is done."""

    tweets: list[dict] = field(default_factory=list)
    users: dict[str, dict] = field(default_factory=dict)
    referenced: dict[str, dict] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    exhausted: bool = True

    def add(self, page: dict) -> str | None:
        """Take one page in; returns its `next_token`."""
        if not isinstance(page, dict) or not isinstance(page.get("meta", {}), dict):
            raise MalformedPageError("page is not a JSON object with meta")
        data, includes = page.get("data", []), page.get("includes", {})
        if not isinstance(data, list) or not isinstance(includes, dict):
            raise MalformedPageError("page data is not a list")
        self.tweets.extend(tweet for tweet in data if isinstance(tweet, dict) and str(tweet.get("id", "")).isdigit())
        self.users.update({u["id"]: u for u in includes.get("users", []) if isinstance(u, dict) and "id" in u})
        self.referenced.update({t["id"]: t for t in includes.get("tweets", []) if isinstance(t, dict) and "id" in t})
        self.errors.extend(e for e in page.get("errors", []) if isinstance(e, dict))
        return page.get("meta", {}).get("next_token")

    def envelope(self, tweet: dict, stream: str, account_id: str) -> dict:
        """The accept envelope of one tweet: only the users, tweets and errors it refers to."""
        refs = {ref.get("id") for ref in tweet.get("referenced_tweets") or [] if isinstance(ref, dict)}
        people = {tweet.get("author_id"), tweet.get("in_reply_to_user_id")}
        return {
            "stream": stream, "account_id": account_id, "tweet": tweet,
            "includes": {"users": [self.users[u] for u in people if u in self.users],
                         "tweets": [self.referenced[r] for r in refs if r in self.referenced]},
            "errors": [e for e in self.errors if e.get("resource_id") in refs | people],
        }


class XPoller:
    """Polls one account's streams; `poll(stream, accept)` does one round and says when to come back."""

    def __init__(self, settings: XChannelSettings, cursors, client_factory: Callable[[], tweepy.Client] | None = None,
                 clock: Callable[[], float] = time.time):
        self.settings = settings
        self.cursors = cursors
        self.clock = clock
        self._client_factory = client_factory or self._default_client
        self._client: tweepy.Client | None = None
        self.user_id = settings.user_id or ""
        self.health = PollHealth()

    def _default_client(self) -> tweepy.Client:
        token = self.settings.bearer_token.get_secret_value() if self.settings.bearer_token else ""
        return x_client(token, self.settings.api_base_url, self.settings.timeout.total_seconds())

    @property
    def client(self) -> tweepy.Client:
        """The tweepy client, built on first use."""
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def streams(self) -> list[str]:
        """`mentions`, then `search:<query>` for each configured query."""
        return ["mentions", *(f"search:{query}" for query in self.settings.queries)]

    def cursor_name(self, stream: str) -> str:
        """The store cursor of a stream; queries are hashed so long ones fit and edits start afresh."""
        key = stream if stream == "mentions" else "search:" + hashlib.sha256(stream.encode()).hexdigest()[:16]
        return f"x:{self.settings.account}:{key}"

    async def poll(self, stream: str, accept: Accept) -> float:
        """One round of `stream`; returns seconds until it should run again."""
        try:
            state = self.cursors.get(self.cursor_name(stream)) or {}
            if not self.user_id:
                self.user_id = (await asyncio.to_thread(self.client.get_me, user_auth=False))["data"]["id"]
            batch = await asyncio.to_thread(self.fetch, stream, state)
        except tweepy.TooManyRequests as error:
            return self._rate_limited(stream, error)
        except (tweepy.TweepyException, requests.RequestException, ValueError, KeyError, TypeError) as error:
            log.warning("x %s: poll failed (%s), retrying in %s", stream, type(error).__name__,
                        self.settings.error_backoff)
            self.health.failed(stream, error)
            return self.settings.error_backoff.total_seconds()
        except IntakeUnavailableError as error:
            return self._unavailable(stream, error)
        self.health.ok(stream)
        try:
            await self._hand_over(stream, state, batch, accept)
        except IntakeUnavailableError as error:
            return self._unavailable(stream, error)
        return self.settings.poll_interval.total_seconds()

    def _unavailable(self, stream: str, error: IntakeUnavailableError) -> float:
        log.warning("x %s: intake unavailable (%s)", stream, error)
        return self.settings.error_backoff.total_seconds()

    def _rate_limited(self, stream: str, error: tweepy.TooManyRequests) -> float:
        reset = getattr(error, "reset_time", None)
        wait = (reset - self.clock() + 1) if reset else self.settings.error_backoff.total_seconds()
        wait = min(max(wait, 1.0), MAX_RATE_LIMIT_WAIT)
        log.info("x %s: rate limited, next poll in %.0fs", stream, wait)
        return wait

    def fetch(self, stream: str, state: dict) -> Batch:
        """Read the pages after `since_id` (before `until_id` when filling a gap), newest first.

        A stream's first poll reads at most `max_pages` of the newest pages and starts from there.
        """
        since, until = state.get("since_id"), state.get("until_id")
        batch, token = Batch(), None
        for _ in range(self.settings.max_pages):
            token = batch.add(self._page(stream, since, until, token))
            if not token:
                return batch
        batch.exhausted = not since
        return batch

    def _page(self, stream: str, since: str | None, until: str | None, token: str | None) -> dict:
        params = {"max_results": self.settings.page_size, "since_id": since, "until_id": until,
                  "expansions": EXPANSIONS, "tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS,
                  "user_auth": False}
        if stream == "mentions":
            return self.client.get_users_mentions(self.user_id, pagination_token=token, **params)
        return self.client.search_recent_tweets(stream.removeprefix("search:"), next_token=token, **params)

    async def _hand_over(self, stream: str, state: dict, batch: Batch, accept: Accept) -> None:
        name = self.cursor_name(stream)
        tweets = sorted(batch.tweets, key=lambda tweet: int(tweet["id"]))
        high = state.get("high") or (tweets[-1]["id"] if tweets else None)
        meta = {"stream": stream, "account": self.settings.account}
        for start in range(0, len(tweets), ACCEPT_CHUNK):
            chunk = tweets[start:start + ACCEPT_CHUNK]
            # Accepted together, committed together (intake's group commit); the cursor moves after all of them.
            await asyncio.gather(*(accept("x", str(tweet["id"]), envelopes.encode(
                batch.envelope(tweet, stream, self.user_id)), meta=meta) for tweet in chunk))
            if batch.exhausted:
                state = {**state, "since_id": str(chunk[-1]["id"])}
                await asyncio.to_thread(self.cursors.set, name, state)
        if not batch.exhausted:
            gap = {"since_id": state.get("since_id"), "until_id": tweets[0]["id"], "high": high}
            await asyncio.to_thread(self.cursors.set, name, gap)
        elif state.get("until_id"):
            await asyncio.to_thread(self.cursors.set, name, {"since_id": str(high)})
