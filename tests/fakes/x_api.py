"""A fake X API v2 on 127.0.0.1: the endpoints Frontdesk's X poller and sender use.

Wire format as in X's API v2 reference (https://docs.x.com/x-api) and the
recorded responses in tests/fixtures/x/: `data` / `includes` / `errors` /
`meta` with newest-first pages and `next_token`. Every request is recorded in
`calls`. `faults` injects, one request at a time, a 429 with
`x-rate-limit-reset`, a stall past the client's timeout, a malformed page or
any status and body. tweepy is pointed at it through the transport adapter of
frontdesk.mentions.clients (see docs/channels/x.md).
"""

from __future__ import annotations

import asyncio
import bisect
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "x"


def load_fixture(name: str) -> dict:
    """A recorded X response body from tests/fixtures/x/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


# X API v2's answer to a revoked or wrong bearer token (its problem-details shape)
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


@dataclass
class Fault:
    """A one-shot misbehaviour for the next request whose path starts with `path`."""

    kind: str  # rate_limit | stall | malformed | status
    path: str = "/2/"
    reset_in: float = 60.0
    seconds: float = 5.0
    status: int = 500
    body: dict = field(default_factory=dict)


class LoopbackServer:
    """Runs an aiohttp app on 127.0.0.1, port 0, in a thread of its own (sync and async tests alike)."""

    def __init__(self, app: web.Application):
        self.app = app
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def __enter__(self) -> "LoopbackServer":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc_info) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"


class RecordingApi:
    """Base of the fakes: records every request in `calls` and plays `faults` one at a time."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.posted: list[dict] = []

    def routes(self, app: web.Application) -> None:
        """Add the provider's routes to `app`."""
        raise NotImplementedError

    def app(self) -> web.Application:
        """The aiohttp application answering the provider's routes."""
        app = web.Application(middlewares=[self._record_and_fault])
        self.routes(app)
        return app

    def serve(self) -> LoopbackServer:
        """A context manager running the fake on loopback; `.url` is its base URL."""
        return LoopbackServer(self.app())

    @web.middleware
    async def _record_and_fault(self, request: web.Request, handler) -> web.StreamResponse:
        body = await _body(request)
        self.calls.append(Call(request.method, request.path, dict(request.query), body, dict(request.headers)))
        fault = next((f for f in self.faults if request.path.startswith(f.path)), None)
        if fault is None:
            return await handler(request)
        self.faults.remove(fault)
        return await _misbehave(fault, self.rate_limit_headers(int(time.time() + fault.reset_in)))

    def rate_limit_headers(self, reset: int) -> dict[str, str]:
        """X's rate-limit headers for a 429 whose window resets at epoch second `reset`."""
        return {"x-rate-limit-limit": "180", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}


async def _body(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    if request.content_type == "application/json":
        return await request.json()
    return dict(await request.post())


class FakeXApi(RecordingApi):
    """State of the fake: tweets, users, our account, faults, and what was asked and posted."""

    def __init__(self) -> None:
        super().__init__()
        self.me: dict = load_fixture("users__me.json")["data"]
        self.tweets: dict[str, dict] = {}
        self.users: dict[str, dict] = {}
        self.mention_ids: list[str] = []
        self.gone_users: set[str] = set()
        self.gone_tweets: set[str] = set()
        self.blocked_by: set[str] = set()
        self.closed_dms: set[str] = set()
        self._next_id = 1900000000000000000
        self._sorted: dict = {}

    def add_page(self, body: dict, mentions: bool = True) -> list[str]:
        """Load a recorded page: its tweets (as mentions of us, by default), users and referenced tweets."""
        for user in body.get("includes", {}).get("users", []):
            self.users[user["id"]] = user
        for tweet in body.get("includes", {}).get("tweets", []):
            self.tweets[tweet["id"]] = tweet
        for problem in body.get("errors", []):
            if problem.get("resource_type") == "user":
                self.gone_users.add(problem["resource_id"])
        ids = [tweet["id"] for tweet in body.get("data", [])]
        for tweet in body.get("data", []):
            self.tweets[tweet["id"]] = tweet
        if mentions:
            self.mention_ids.extend(tweet_id for tweet_id in ids if tweet_id not in self.mention_ids)
        return ids

    def add_mention(self, text: str, author: dict, **fields: Any) -> dict:
        """Create a new mention of our account by `author` (a v2 user object); returns the tweet."""
        tweet_id = self.new_id()
        self.users[author["id"]] = author
        tweet = {
            "id": tweet_id, "text": text, "author_id": author["id"], "conversation_id": tweet_id,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "edit_history_tweet_ids": [tweet_id], **fields,
        }
        self.tweets[tweet_id] = tweet
        self.mention_ids.append(tweet_id)
        return tweet

    def new_id(self) -> str:
        """A fresh snowflake-like id, larger than every recorded one."""
        self._next_id += 1
        return str(self._next_id)

    def routes(self, app: web.Application) -> None:
        """The v2 routes."""
        app.router.add_get("/2/users/me", self._me)
        app.router.add_get("/2/users/{user_id}/mentions", self._mentions)
        app.router.add_get("/2/tweets/search/recent", self._search)
        app.router.add_post("/2/tweets", self._create_tweet)
        app.router.add_post("/2/dm_conversations/with/{participant_id}/messages", self._create_dm)

    # --- routes ------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self.me})

    async def _mentions(self, request: web.Request) -> web.Response:
        if request.match_info["user_id"] != self.me["id"]:
            return _problem(403, "Forbidden", "You can only read your own mentions.")
        return web.json_response(self._page(self.mention_ids, request.query))

    async def _search(self, request: web.Request) -> web.Response:
        query = request.query.get("query", "").lower()
        if not query:
            return _problem(400, "Invalid Request", "One or more parameters to your request was invalid.")
        ids = [tid for tid, tweet in self.tweets.items() if query in tweet["text"].lower()]
        return web.json_response(self._page(ids, request.query))

    def _page(self, ids: list[str], query) -> dict:
        since, until = int(query.get("since_id", 0)), int(query.get("until_id", 0)) or None
        ascending = self._ascending(ids)
        low = bisect.bisect_right(ascending, since)
        high = bisect.bisect_left(ascending, until) if until else len(ascending)
        chosen = ascending[low:high][::-1]
        start = int(query.get("pagination_token") or query.get("next_token") or 0)
        size = int(query.get("max_results", 10))
        window = [self.tweets[str(i)] for i in chosen[start:start + size]]
        if not window:
            return {"meta": {"result_count": 0}}
        page: dict[str, Any] = {"data": window, "meta": {
            "newest_id": window[0]["id"], "oldest_id": window[-1]["id"], "result_count": len(window),
        }}
        if start + size < len(chosen):
            page["meta"]["next_token"] = str(start + size)
        if "expansions" in query:
            self._expand(page, window)
        return page

    def _ascending(self, ids: list[str]) -> list[int]:
        key = (id(ids), len(ids), len(self.gone_tweets))
        if self._sorted.get("key") != key:
            self._sorted = {"key": key, "ids": sorted(int(i) for i in ids if i not in self.gone_tweets)}
        return self._sorted["ids"]

    def _expand(self, page: dict, window: list[dict]) -> None:
        user_ids = {t.get("author_id") for t in window} | {t.get("in_reply_to_user_id") for t in window}
        user_ids.discard(None)
        ref_ids = {ref["id"] for t in window for ref in t.get("referenced_tweets", [])}
        users = [self.users[u] for u in sorted(user_ids) if u in self.users and u not in self.gone_users]
        tweets = [self.tweets[r] for r in sorted(ref_ids) if r in self.tweets and r not in self.gone_tweets]
        page["includes"] = {"users": users, "tweets": tweets}
        errors = [_not_found("user", u) for u in sorted(user_ids) if u in self.gone_users]
        errors += [_not_found("tweet", r) for r in sorted(ref_ids) if r not in self.tweets or r in self.gone_tweets]
        if errors:
            page["errors"] = errors

    async def _create_tweet(self, request: web.Request) -> web.Response:
        body = await request.json()
        parent_id = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        parent = self.tweets.get(parent_id) if parent_id else None
        if parent_id and (parent is None or parent_id in self.gone_tweets):
            return _problem(400, "Invalid Request", "One or more parameters to your request was invalid.", errors=[{
                "parameters": {"reply.in_reply_to_tweet_id": [parent_id]},
                "message": f"The `reply.in_reply_to_tweet_id` query parameter value [{parent_id}] does not exist",
            }])
        if parent and parent.get("author_id") in self.blocked_by:
            return _problem(403, "Forbidden", "You are not permitted to perform this action.")
        tweet_id = self.new_id()
        tweet = {"id": tweet_id, "text": body["text"], "author_id": self.me["id"], "edit_history_tweet_ids": [tweet_id],
                 "conversation_id": parent.get("conversation_id", parent_id) if parent else tweet_id}
        if parent:
            tweet["in_reply_to_user_id"] = parent.get("author_id")
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent_id}]
        self.tweets[tweet_id] = tweet
        self.posted.append(tweet)
        return web.json_response({"data": {"id": tweet_id, "text": body["text"],
                                            "edit_history_tweet_ids": [tweet_id]}}, status=201)

    async def _create_dm(self, request: web.Request) -> web.Response:
        participant = request.match_info["participant_id"]
        if participant in self.closed_dms or participant in self.blocked_by:
            return _problem(403, "Forbidden", "You are not permitted to send Direct Messages to this user.")
        body = await request.json()
        event_id = self.new_id()
        self.posted.append({"dm_to": participant, "text": body.get("text", ""), "id": event_id})
        return web.json_response({"data": {"dm_conversation_id": f"{self.me['id']}-{participant}",
                                           "dm_event_id": event_id}}, status=201)


def _problem(status: int, title: str, detail: str, errors: list | None = None) -> web.Response:
    body: dict[str, Any] = {"title": title, "detail": detail, "type": "about:blank", "status": status}
    if errors:
        body["errors"] = errors
    return web.json_response(body, status=status)


def _not_found(kind: str, resource_id: str) -> dict:
    return {
        "value": resource_id, "detail": f"Could not find {kind} with id: [{resource_id}].",
        "title": "Not Found Error", "resource_type": kind, "parameter": "id", "resource_id": resource_id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


async def _misbehave(fault: Fault, rate_limit_headers: dict[str, str]) -> web.Response:
    if fault.kind == "rate_limit":
        response = _problem(429, "Too Many Requests", "Too Many Requests")
        response.headers.update(rate_limit_headers)
        return response
    if fault.kind == "stall":
        await asyncio.sleep(fault.seconds)
        return web.json_response({"meta": {"result_count": 0}})
    if fault.kind == "malformed":
        return web.Response(text='{"data": [{"id": "17", "text": "trunc', content_type="application/json")
    return web.json_response(fault.body, status=fault.status)
