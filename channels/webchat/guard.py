"""What stands between anonymous visitors and the intake: origins, CORS, CSRF, rate and socket limits.

Origins are compared exactly against the allowlist (RFC 6454 serialisation,
`scheme://host[:port]`); the server's own host is always allowed. CORS
answers name the one allowed origin, never `*`, and never allow credentials:
the chat uses no cookies, its authority is the conversation token sent in a
header, which a cross-site form cannot set. Rate limits use the `limits`
library's moving window (https://limits.readthedocs.io/en/stable/strategies.html),
kept in this process's memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from aiohttp import web
from limits import parse as parse_rate
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from config.webchat import WebchatChannelSettings, WebchatRateLimits

CORS_MAX_AGE = "600"


class OriginPolicy:
    """Which page origins may open a socket or post a message."""

    def __init__(self, allowed: list[str]):
        self.allowed = frozenset(origin.lower() for origin in allowed)

    @staticmethod
    def own_origins(request: web.Request) -> set[str]:
        """The server's own origin as a browser on it would send it (either scheme: TLS may end at a proxy)."""
        host = request.host.lower()
        return {f"http://{host}", f"https://{host}"}

    def allows(self, request: web.Request) -> bool:
        """True when the request carries an Origin header naming an allowed site."""
        origin = request.headers.get("Origin", "").lower()
        return bool(origin) and (origin in self.allowed or origin in self.own_origins(request))

    def cors_headers(self, request: web.Request) -> dict[str, str]:
        """CORS headers for a cross-origin caller on the allowlist; empty for anyone else."""
        origin = request.headers.get("Origin", "").lower()
        if origin not in self.allowed or origin in self.own_origins(request):
            return {"Vary": "Origin"}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Max-Age": CORS_MAX_AGE,
            "Vary": "Origin",
        }


def refuse_cross_site_post(policy: OriginPolicy, request: web.Request) -> str | None:
    """Why a state-changing REST call must be refused (CSRF), or None when it may go on.

    Browsers send Origin on every POST, so a missing or foreign one is refused;
    requiring `application/json` means a cross-site form can never reach us
    without a CORS preflight, which only allowlisted origins pass.
    """
    if not policy.allows(request):
        return "origin not allowed"
    if request.content_type != "application/json":
        return "content type must be application/json"
    return None


class RateLimits:
    """Per-connection and per-address message limits, and a limit on new conversations."""

    def __init__(self, settings: WebchatRateLimits):
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_connection = parse_rate(settings.per_connection)
        self._per_ip = parse_rate(settings.per_ip)
        self._conversations = parse_rate(settings.conversations_per_ip)

    def message(self, address: str, connection: str) -> bool:
        """Count one message; False once the connection or the address is over its limit."""
        connection_ok = self._limiter.hit(self._per_connection, "connection", connection)
        address_ok = self._limiter.hit(self._per_ip, "address", address)
        return connection_ok and address_ok

    def new_conversation(self, address: str) -> bool:
        """Count one new conversation for the address; False once it is over its limit."""
        return self._limiter.hit(self._conversations, "conversation", address)


class SocketCounter:
    """Open long-lived connections (sockets and event streams) per client address."""

    def __init__(self, cap: int):
        self.cap = cap
        self._open: Counter[str] = Counter()

    def acquire(self, address: str) -> bool:
        """Take a slot for `address`; False when it already holds `cap` connections."""
        if self._open[address] >= self.cap:
            return False
        self._open[address] += 1
        return True

    def release(self, address: str) -> None:
        """Give back a slot taken with `acquire`."""
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]

    @property
    def total(self) -> int:
        """Connections open in this process."""
        return sum(self._open.values())


@dataclass(frozen=True)
class Guards:
    """The guards one server process shares between its sockets and its REST endpoints."""

    policy: OriginPolicy
    limits: RateLimits
    sockets: SocketCounter

    @classmethod
    def from_settings(cls, settings: WebchatChannelSettings) -> "Guards":
        """Guards configured from the channel's settings."""
        return cls(OriginPolicy(settings.allowed_origins), RateLimits(settings.rate_limits),
                   SocketCounter(settings.max_sockets_per_ip))


def client_address(request: web.Request, settings: WebchatChannelSettings) -> str:
    """The visitor's address: the peer, or with `trust_x_forwarded_for` the address the last proxy saw."""
    if settings.trust_x_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.remote or "unknown"
