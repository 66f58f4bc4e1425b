"""A fake Mastodon instance on 127.0.0.1: the REST endpoints Frontdesk's Mastodon poller and sender use.

Wire format per https://docs.joinmastodon.org/methods/ and the recorded
responses in tests/fixtures/mastodon/ (from Mastodon.py's test cassettes).
Lists are newest first; `min_id` returns the page right after the cursor,
`since_id` the newest page after it, as Mastodon does. Every request is
recorded in `calls`; `faults` injects 429s, stalls, malformed pages or any
status. Mastodon.py takes the base URL directly, so no seam is needed.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.x_api import RecordingApi

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mastodon"


def load_fixture(name: str) -> Any:
    """A recorded Mastodon response body from tests/fixtures/mastodon/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class FakeMastodonApi(RecordingApi):
    """State of the fake instance: our account, statuses, notifications, tag timelines, faults and posts."""

    def __init__(self) -> None:
        super().__init__()
        self.me: dict = load_fixture("notifications__mention_and_follow.json")[0]["status"]["mentions"][0] | {
            "display_name": "Mastodon.py test", "locked": False}
        self.statuses: dict[str, dict] = {}
        self.streaming = True
        self._streams: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = []
        self.notifications: list[dict] = []
        self.tags: dict[str, list[str]] = {}
        self.idempotency: dict[str, dict] = {}
        self._next_id = 200000000000000000

    def new_id(self) -> str:
        """A fresh snowflake-like id, larger than every recorded one."""
        self._next_id += 1
        return str(self._next_id)

    def add_notifications(self, notifications: list[dict]) -> None:
        """Load recorded notifications (and the statuses they carry)."""
        for notification in notifications:
            if notification.get("status"):
                self.statuses[notification["status"]["id"]] = notification["status"]
            self.notifications.append(notification)

    def add_mention(self, text: str, account: dict, in_reply_to: dict | None = None, tags: tuple[str, ...] = ()) -> dict:
        """A new status by `account` mentioning us (a notification), optionally a reply; returns the status."""
        status_id = self.new_id()
        status = {
            "id": status_id, "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "in_reply_to_id": in_reply_to["id"] if in_reply_to else None,
            "in_reply_to_account_id": in_reply_to["account"]["id"] if in_reply_to else None,
            "visibility": "public", "language": "en", "url": f"http://localhost/@{account['acct']}/{status_id}",
            "content": f"<p>{text}</p>", "reblog": None, "account": account,
            "mentions": [{"id": self.me["id"], "acct": self.me["acct"]}], "tags": [{"name": t} for t in tags],
        }
        self.statuses[status_id] = status
        notification = {"id": self.new_id(), "type": "mention", "created_at": status["created_at"],
                        "account": account, "status": status}
        self.notifications.append(notification)
        for loop, queue in self._streams:
            loop.call_soon_threadsafe(queue.put_nowait, notification)
        for tag in tags:
            self.tags.setdefault(tag.lower(), []).append(status_id)
        return status

    def routes(self, app: web.Application) -> None:
        """The REST routes."""
        app.router.add_get("/api/v1/accounts/verify_credentials", self._me)
        app.router.add_get("/api/v1/notifications", self._notifications)
        app.router.add_get("/api/v1/timelines/tag/{tag}", self._tag)
        app.router.add_get("/api/v2/search", self._search)
        app.router.add_get("/api/v1/statuses/{status_id}/context", self._context)
        app.router.add_post("/api/v1/statuses", self._post_status)
        app.router.add_get("/api/v1/instance", self._instance)
        app.router.add_get("/api/v1/timelines/public", self._public)
        app.router.add_get("/api/v1/streaming/user/notification", self._stream)

    def rate_limit_headers(self, reset: int) -> dict[str, str]:
        """Mastodon's rate-limit headers: the reset is an ISO 8601 time."""
        at = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(reset))
        return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": at}

    async def _instance(self, request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}"
        return web.json_response({"uri": request.host, "title": "Fake", "version": "4.2.0",
                                  "urls": {"streaming_api": base.replace("http", "ws", 1)}})

    async def _public(self, request: web.Request) -> web.Response:
        return web.json_response([])

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: `event: notification` with the notification as data, and heartbeats."""
        if not self.streaming:
            return web.json_response({"error": "Streaming unavailable"}, status=503)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        queue: asyncio.Queue = asyncio.Queue()
        entry = (asyncio.get_running_loop(), queue)
        self._streams.append(entry)
        try:
            await response.write(b":thump\n\n")
            while True:
                try:
                    notification = await asyncio.wait_for(queue.get(), timeout=1.0)
                except asyncio.TimeoutError:
                    await response.write(b":thump\n\n")
                    continue
                await response.write(f"event: notification\ndata: {json.dumps(notification)}\n\n".encode())
        finally:
            self._streams.remove(entry)

    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response(self.me)

    async def _notifications(self, request: web.Request) -> web.Response:
        types = request.query.getall("types[]", [])
        items = [n for n in self.notifications if not types or n["type"] in types]
        return web.json_response(_window(items, request.query))

    async def _tag(self, request: web.Request) -> web.Response:
        ids = self.tags.get(request.match_info["tag"].lower(), [])
        return web.json_response(_window([self.statuses[i] for i in ids], request.query))

    async def _search(self, request: web.Request) -> web.Response:
        query = request.query.get("q", "").lower()
        found = [s for s in self.statuses.values() if query and query in s["content"].lower()]
        return web.json_response({"accounts": [], "hashtags": [], "statuses": _window(found, request.query)})

    async def _context(self, request: web.Request) -> web.Response:
        status = self.statuses.get(request.match_info["status_id"])
        if status is None:
            return web.json_response({"error": "Record not found"}, status=404)
        ancestors = []
        while status.get("in_reply_to_id") and status["in_reply_to_id"] in self.statuses:
            status = self.statuses[status["in_reply_to_id"]]
            ancestors.insert(0, status)
        return web.json_response({"ancestors": ancestors, "descendants": []})

    async def _post_status(self, request: web.Request) -> web.Response:
        form = await request.post()
        key = request.headers.get("Idempotency-Key")
        if key and key in self.idempotency:
            return web.json_response(self.idempotency[key])
        parent_id = form.get("in_reply_to_id")
        if parent_id and parent_id not in self.statuses:
            return web.json_response({"error": "Record not found"}, status=404)
        status_id = self.new_id()
        parent = self.statuses.get(parent_id) if parent_id else None
        status = {"id": status_id, "content": f"<p>{form.get('status', '')}</p>", "visibility": form.get("visibility"),
                  "in_reply_to_id": parent_id, "in_reply_to_account_id": parent["account"]["id"] if parent else None,
                  "account": self.me, "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                  "reblog": None, "url": f"http://localhost/@{self.me['acct']}/{status_id}"}
        self.statuses[status_id] = status
        self.posted.append(status | {"text": form.get("status", "")})
        if key:
            self.idempotency[key] = status
        return web.json_response(status)


def _window(items: list[dict], query) -> list[dict]:
    """Mastodon's id-cursor paging: newest first; `min_id` = the oldest page after it, `since_id` = the newest."""
    ordered = sorted(items, key=lambda item: int(item["id"]))
    limit = min(int(query.get("limit", 20)), 40)
    if "max_id" in query:
        ordered = [i for i in ordered if int(i["id"]) < int(query["max_id"])]
    if "min_id" in query:
        chosen = [i for i in ordered if int(i["id"]) > int(query["min_id"])][:limit]
    else:
        since = int(query.get("since_id", 0))
        chosen = [i for i in ordered if int(i["id"]) > since][-limit:]
    return list(reversed(chosen))
