"""Sign-in rate limits in Redis: failed attempts per client address and per username, in a fixed window.

Counted in Redis so every server process shares them; only failures count,
and a success clears the username's count.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import redis

from frontdesk.queue import KEY_PREFIX


class LoginLimiter:
    """At most `attempts` failed sign-ins per address and per username within `window`."""

    def __init__(self, connection: redis.Redis, attempts: int, window: timedelta):
        self.redis = connection
        self.attempts = attempts
        self.window = max(1, int(window.total_seconds()))

    def _keys(self, address: str, username: str) -> list[str]:
        return [f"{KEY_PREFIX}:login:addr:{_digest(address)}", f"{KEY_PREFIX}:login:user:{_digest(username.lower())}"]

    def blocked(self, address: str, username: str) -> bool:
        """Whether this address or username has used up its failed attempts."""
        counts = self.redis.mget(self._keys(address, username))
        return any(int(count or 0) >= self.attempts for count in counts)

    def failed(self, address: str, username: str) -> None:
        """Count one failed attempt for the address and the username."""
        pipe = self.redis.pipeline()
        for key in self._keys(address, username):
            pipe.incr(key)
            pipe.expire(key, self.window, nx=True)
        pipe.execute()

    def succeeded(self, address: str, username: str) -> None:
        """Forget the username's failures after a good sign-in."""
        self.redis.delete(self._keys(address, username)[1])


def _digest(value: str) -> str:
    # Hashed: the keys must not hold an operator's name or a visitor's address in clear.
    return hashlib.sha256(value.encode()).hexdigest()[:32]
