"""The Mastodon poller: mention notifications, hashtag timelines and keyword searches through Mastodon.py.

Endpoints: `GET /api/v1/notifications?types[]=mention`
(https://docs.joinmastodon.org/methods/notifications/), `GET /api/v1/timelines/tag/:hashtag`
(https://docs.joinmastodon.org/methods/timelines/#tag), `GET /api/v2/search`
(https://docs.joinmastodon.org/methods/search/) and, for replies, the status
context to find the root of the reply chain. Mastodon's `min_id` returns the
page right after a cursor, so pages are read oldest first and the cursor moves
after every accepted status. Streaming (`/api/v1/streaming/user/notification`)
only wakes the mentions stream early; polling stays the source of truth.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from datetime import datetime
from typing import Callable

from mastodon import Mastodon
from mastodon.errors import MastodonError, MastodonRatelimitError

from config.social import MastodonChannelSettings
from frontdesk.channel import Accept, PollHealth
from frontdesk.errors import IntakeUnavailableError
from frontdesk.mentions.clients import mastodon_client

log = logging.getLogger(__name__)
MAX_RATE_LIMIT_WAIT = 5 * 60 + 5
MAX_PAGE = 40  # Mastodon answers at most 40 notifications or statuses per page


def plain(value):
    """Mastodon.py's parsed objects back to JSON types (datetimes as RFC 3339)."""
    return json.loads(json.dumps(value, default=lambda o: o.isoformat() if isinstance(o, datetime) else str(o)))


class MastodonPoller:
    """Polls one account's streams; `poll(stream, accept)` does one round and says when to come back."""

    def __init__(self, settings: MastodonChannelSettings, cursors, client_factory: Callable[[], Mastodon] | None = None,
                 clock: Callable[[], float] = time.time):
        self.settings = settings
        self.cursors = cursors
        self.clock = clock
        self._client_factory = client_factory or self._default_client
        self._client: Mastodon | None = None
        self.account_id = ""
        self.page_size = min(settings.page_size, MAX_PAGE)
        self.health = PollHealth()

    def _default_client(self) -> Mastodon:
        token = self.settings.access_token.get_secret_value() if self.settings.access_token else None
        return mastodon_client(token, self.settings.api_base_url, self.settings.timeout.total_seconds())

    @property
    def client(self) -> Mastodon:
        """The Mastodon.py client, built on first use."""
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def streams(self) -> list[str]:
        """`mentions`, `tag:<hashtag>` per hashtag, `search:<query>` per query."""
        return ["mentions", *(f"tag:{tag}" for tag in self.settings.hashtags),
                *(f"search:{query}" for query in self.settings.queries)]

    def cursor_name(self, stream: str) -> str:
        """The store cursor of a stream (queries hashed)."""
        key = stream if stream == "mentions" else stream.split(":", 1)[0] + ":" + hashlib.sha256(
            stream.encode()).hexdigest()[:16]
        return f"mastodon:{self.settings.account}:{key}"

    async def poll(self, stream: str, accept: Accept) -> float:
        """One round of `stream`; returns seconds until it should run again."""
        name = self.cursor_name(stream)
        try:
            cursor = (self.cursors.get(name) or {}).get("min_id")
            if not self.account_id:
                self.account_id = str((await asyncio.to_thread(self.client.account_verify_credentials))["id"])
            for _ in range(self.settings.max_pages if cursor else 1):
                items = await asyncio.to_thread(self._page, stream, cursor)
                for item_id, status in sorted(items, key=lambda pair: int(pair[0])):
                    await self._accept_status(stream, status, accept)
                    cursor = item_id
                    await asyncio.to_thread(self.cursors.set, name, {"min_id": item_id})
                if len(items) < self.page_size:
                    break
        except MastodonRatelimitError:
            reset = getattr(self.client, "ratelimit_reset", None) or 0
            return min(max(reset - self.clock() + 1, self.settings.error_backoff.total_seconds()), MAX_RATE_LIMIT_WAIT)
        except (MastodonError, ValueError, KeyError, TypeError) as error:
            log.warning("mastodon %s: poll failed (%s)", stream, type(error).__name__)
            self.health.failed(stream, error)
            return self.settings.error_backoff.total_seconds()
        except IntakeUnavailableError as error:
            log.warning("mastodon %s: intake unavailable (%s)", stream, error)
            return self.settings.error_backoff.total_seconds()
        self.health.ok(stream)
        return self.settings.poll_interval.total_seconds()

    def _page(self, stream: str, cursor: str | None) -> list[tuple[str, dict]]:
        """(cursor id, status) pairs of one page after `cursor`; the newest page when there is none."""
        limit = self.page_size
        paging = {"min_id": cursor} if cursor else {}
        if stream == "mentions":
            found = self.client.notifications(types=["mention"], limit=limit, **paging)
            return [(str(n["id"]), plain(n["status"])) for n in found if n.get("status")]
        if stream.startswith("tag:"):
            found = self.client.timeline_hashtag(stream.removeprefix("tag:"), limit=limit, **paging)
        else:
            found = self.client.search_v2(stream.removeprefix("search:"), result_type="statuses", limit=limit,
                                          **paging)["statuses"]
        return [(str(s["id"]), plain(s)) for s in found]

    async def _accept_status(self, stream: str, status: dict, accept: Accept) -> None:
        root = None
        if status.get("in_reply_to_id"):
            context = await asyncio.to_thread(self.client.status_context, status["id"])
            ancestors = context.get("ancestors") or []
            root = str(ancestors[0]["id"]) if ancestors else str(status["in_reply_to_id"])
        body = json.dumps({"stream": stream, "account_id": self.account_id, "status": status, "root_id": root},
                          separators=(",", ":"), ensure_ascii=False).encode()
        await accept("mastodon", str(status["id"]), body, meta={"stream": stream, "account": self.settings.account})
