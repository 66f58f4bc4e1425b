"""A fake Slack Web API on 127.0.0.1 (random port) that records every call.

It answers the methods Frontdesk uses with the response shapes of Slack's
method reference (https://api.slack.com/methods): `auth.test`,
`conversations.open`, `chat.postMessage`, `chat.update`, `chat.postEphemeral`,
`users.info`, `api.test`, and Socket Mode: `apps.connections.open` (app-level
`xapp-` token) hands out a WebSocket on the same server that says `hello`,
sends the envelopes queued with `push_envelope` and records the app's acks
(https://api.slack.com/apis/socket-mode). Point the real SDK at it with
`WebClient(token=..., base_url=fake.base_url)`.

The server runs on its own thread and event loop, so both the sync
`WebClient` (senders, RQ jobs) and `AsyncWebClient` (bolt) can call it from
anywhere. `fail_next` injects Slack's error answers (HTTP 429 with
Retry-After, 5xx, `{"ok": false, "error": ...}`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from aiohttp import web

BOT_TOKEN = "xoxb-frontdesk-test"
BOT_USER_ID = "W23456789"
BOT_ID = "BZYBOTHED"
TEAM_ID = "T111"


@dataclass(frozen=True)
class ApiCall:
    """One request the fake received: the method, its arguments and the bearer token."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class _Failure:
    status: int
    error: str
    retry_after: int | None
    channel: str | None


class FakeSlackApi:
    """The fake Web API; use as a context manager or `start()` / `stop()`."""

    def __init__(self, *, token: str = BOT_TOKEN, users: dict[str, dict[str, Any]] | None = None):
        self.token = token
        self.users = dict(users or {})
        self.calls: list[ApiCall] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self.socket_acks: list[dict[str, Any]] = []
        self._envelopes: asyncio.Queue | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """The URL to hand to `WebClient(base_url=...)`, with its trailing slash."""
        return f"http://127.0.0.1:{self.port}/api/"

    def __enter__(self) -> "FakeSlackApi":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Serve on a fresh port in a background thread; returns once listening."""
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="fake-slack-api", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Slack API did not start within 10 s")

    def stop(self) -> None:
        """Stop serving; later calls to `base_url` are refused."""
        if self._loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = self._runner = None

    async def _shutdown(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        await self._runner.cleanup()

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_get("/link", self._socket)
        self._envelopes = asyncio.Queue()
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()

    def fail_next(self, method: str, error: str, *, status: int = 200, retry_after: int | None = None, times: int = 1,
                  channel: str | None = None) -> None:
        """Answer the next `times` calls of `method` (to `channel`, when given) with Slack's error shape."""
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            queue.extend(_Failure(status, error, retry_after, channel) for _ in range(times))

    def clear_failures(self) -> None:
        """Answer every call normally again."""
        with self._lock:
            self._failures.clear()

    def _take_failure(self, method: str, args: dict[str, Any]) -> _Failure | None:
        queue = self._failures.get(method) or deque()
        for failure in queue:
            if failure.channel is None or failure.channel == args.get("channel"):
                queue.remove(failure)
                return failure
        return None

    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of one method, oldest first."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """The current arguments of a posted message, as last written by postMessage or update."""
        with self._lock:
            return self.messages[(channel, ts)]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[ApiCall]:
        """Wait (bounded) until `method` was called at least `count` times; its calls."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.calls_to(method)
            if len(calls) >= count:
                return calls
            time.sleep(0.02)
        raise AssertionError(f"{method} called {len(self.calls_to(method))} times, wanted {count}")

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _read_args(request)
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else args.pop("token", None)
        with self._lock:
            self.calls.append(ApiCall(method, args, token))
            failure = self._take_failure(method, args)
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return web.json_response({"ok": False, "error": failure.error}, status=failure.status, headers=headers)
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if method == "apps.connections.open":
            if not token.startswith("xapp-"):
                return web.json_response({"ok": False, "error": "not_allowed_token_type"})
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/link?ticket=fake"})
        if token != self.token:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        return web.json_response(answer(args))

    def push_envelope(self, envelope: dict[str, Any]) -> None:
        """Queue a Socket Mode envelope for the connected app."""
        self._loop.call_soon_threadsafe(self._envelopes.put_nowait, envelope)

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait (bounded) for the app's ack of one envelope; the ack."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [ack for ack in self.socket_acks if ack.get("envelope_id") == envelope_id]
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"no ack for envelope {envelope_id}")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "applink-fake"},
                                "connection_info": {"app_id": "A111"}})
        sender = asyncio.get_running_loop().create_task(self._send_envelopes(socket))
        self._sockets.add(socket)
        try:
            async for frame in socket:
                if frame.type == web.WSMsgType.TEXT:
                    with self._lock:
                        self.socket_acks.append(json.loads(frame.data))
        finally:
            sender.cancel()
            self._sockets.discard(socket)
        return socket

    async def _send_envelopes(self, socket: web.WebSocketResponse) -> None:
        while True:
            envelope = await self._envelopes.get()
            await socket.send_json(envelope)

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "args": args}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True, "url": "https://subarachnoid.slack.com/", "team": "Subarachnoid Workspace",
            "user": "bot", "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
        }

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users", ""))
        if not users or "," in users:
            return {"ok": False, "error": "user_not_found" if users else "users_list_not_supplied"}
        return {"ok": True, "channel": {"id": "D" + users.lstrip("UW")}}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        with self._lock:
            self.messages[(channel, ts)] = dict(args)
        message = {"text": args.get("text", ""), "type": "message", "subtype": "bot_message", "bot_id": BOT_ID, "ts": ts}
        if "thread_ts" in args:
            message["thread_ts"] = args["thread_ts"]
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (args.get("channel"), args.get("ts"))
        with self._lock:
            if key not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            self.messages[key] = {**self.messages[key], **args}
        return {"ok": True, "channel": key[0], "ts": key[1], "text": args.get("text", ""),
                "message": {"text": args.get("text", ""), "user": BOT_USER_ID}}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel") or not args.get("user"):
            return {"ok": False, "error": "channel_not_found" if not args.get("channel") else "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}


async def _read_args(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    body = await request.read()
    if not body:
        return args
    if request.content_type == "application/json":
        args.update(json.loads(body))
    else:
        args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for key in ("blocks", "attachments"):
        if isinstance(args.get(key), str):
            args[key] = json.loads(args[key])
    return args


def signed_headers(secret: str, body: bytes, *, timestamp: float | None = None,
                   content_type: str = "application/json") -> dict[str, str]:
    """The headers Slack sends with a request to an app: `v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`.

    (https://api.slack.com/authentication/verifying-requests-from-slack)
    """
    stamp = str(int(time.time() if timestamp is None else timestamp))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def interaction_body(payload: dict[str, Any]) -> bytes:
    """An interactivity request body as Slack sends it: the JSON payload in a `payload` form field."""
    return b"payload=" + quote(json.dumps(payload)).encode()


def user_record(user_id: str, name: str) -> dict[str, Any]:
    """A `users.info` user object in Slack's documented shape."""
    return {"id": user_id, "team_id": TEAM_ID, "name": name.lower(), "deleted": False, "real_name": name,
            "tz": "Europe/London", "is_bot": False, "profile": {"real_name": name, "display_name": name.lower()}}
