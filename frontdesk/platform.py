"""`frontdesk run`: the whole platform in one process tree on embedded defaults.

The parent starts a private Redis when none is configured, migrates the
store, starts worker processes as children (restarting any that die), and
serves HTTP and the channel transports itself, and starts its Redis again if
it dies. Ctrl-C or SIGTERM stops the workers (each finishes its job), then the
server, then Redis.

One run per data directory: the parent holds `run.lock` in it for its life
(released by the kernel however the process ends). If the parent is killed
outright, its workers notice within a second and stop (FRONTDESK_RUN_PID),
and the next run stops the Redis it left behind (frontdesk/redis_server.py).
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

from config.schema import Settings
from frontdesk import heap
from frontdesk.errors import AlreadyRunningError
from frontdesk.redis_server import EmbeddedRedis
from frontdesk.settings import ENV_OVERRIDES

log = logging.getLogger(__name__)
TOKEN_FILE = "api-token"
LOCK_FILE = "run.lock"
PARENT_ENV = "FRONTDESK_RUN_PID"  # tells a worker which process started it, to stop when that one is gone
OUTBOX_ENV = ENV_OVERRIDES["outbound.email.outbox"]


def ensure_api_token(data_dir: Path, environ: dict) -> str | None:
    """In run mode with no FRONTDESK_API_TOKEN, use the one saved in the data dir or make one.

    Returns the token when it was newly generated (to be printed once).
    """
    if environ.get("FRONTDESK_API_TOKEN"):
        return None
    path = Path(data_dir) / TOKEN_FILE
    if path.exists():
        environ["FRONTDESK_API_TOKEN"] = path.read_text().strip()
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    environ["FRONTDESK_API_TOKEN"] = token
    return token


def ensure_mail_outbox(settings: Settings, environ: dict) -> Path | None:
    """In run mode with no mail relay configured (outbound.email names no host, port or outbox), keep outgoing
    mail in <data_dir>/outbox: most machines one tries Frontdesk on have no relay on localhost:25, and an
    acknowledgment failing five times shows a newcomer nothing. Returns the outbox when this chose it."""
    if environ.get(OUTBOX_ENV) or settings.outbound.email.model_fields_set & {"host", "port", "outbox"}:
        return None
    outbox = (Path(settings.data_dir) / "outbox").resolve()
    environ[OUTBOX_ENV] = str(outbox)
    return outbox


def hold_run_lock(data_dir: Path) -> TextIO:
    """Lock the data directory for this run (an open file the caller keeps); AlreadyRunningError if another
    run holds it."""
    path = Path(data_dir) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise AlreadyRunningError(f"another `frontdesk run` (pid {holder}) is using {Path(data_dir).resolve()}; "
                                  "stop it first, or give this one its own data_dir") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


class WorkerPool:
    """`count` worker processes running `frontdesk worker`, restarted with backoff when they die."""

    def __init__(self, count: int, environ: dict[str, str], config_path: str | None):
        self.count = count
        self.environ = environ
        self.config_path = config_path
        self.processes: list[subprocess.Popen] = []
        self.restarts: list[float] = []

    def _spawn(self, index: int) -> subprocess.Popen:
        command = [sys.executable, "-m", "frontdesk", "worker", "--name", f"worker-{os.getpid()}-{index}"]
        if self.config_path:
            command += ["--config", self.config_path]
        return subprocess.Popen(command, env=self.environ, start_new_session=True)

    def start(self) -> None:
        """Start every worker."""
        self.processes = [self._spawn(index) for index in range(self.count)]

    def supervise(self) -> None:
        """Restart dead workers, at most once per 5 s each, so a crash loop cannot spin."""
        for index, process in enumerate(self.processes):
            if process.poll() is not None:
                recent = [t for t in self.restarts if time.monotonic() - t < 5]
                if len(recent) >= self.count:
                    continue
                log.warning("worker %s exited with %s; restarting", index, process.returncode)
                self.restarts.append(time.monotonic())
                self.processes[index] = self._spawn(index)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM every worker (warm shutdown), then SIGKILL what is left after `timeout`."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _supervise(pool: WorkerPool, embedded: EmbeddedRedis | None) -> None:
    restarted = 0.0
    while True:
        await asyncio.sleep(1.0)
        if embedded is not None and embedded.process.poll() is not None and time.monotonic() - restarted > 5:
            # Killed or crashed: start it again on the same port and data, so that the workers and the server,
            # which retry their connections, go on with what its AOF kept (at most the last second is lost).
            log.warning("the embedded redis-server exited with %s; starting it again on port %s",
                        embedded.process.returncode, embedded.port)
            restarted = time.monotonic()
            try:
                await asyncio.to_thread(embedded.start)
            except RuntimeError:
                log.error("the embedded redis-server did not start again; see %s", embedded.data_dir / "redis.log")
        pool.supervise()


def run_platform(settings: Settings, config_path: str | None, host: str, port: int) -> None:
    """Run everything until Ctrl-C; see the module docstring."""
    from frontdesk.server import build_services, serve_forever

    lock = hold_run_lock(settings.data_dir)
    embedded = None
    redis_url = settings.redis_url
    if redis_url is None:
        embedded = EmbeddedRedis(settings.data_dir).start()
        redis_url = embedded.url
    environ = dict(os.environ, FRONTDESK_REDIS_URL=redis_url, FRONTDESK_DATA_DIR=str(settings.data_dir),
                   **{PARENT_ENV: str(os.getpid())})
    pool = None
    try:
        services = build_services(settings, redis_url)
        heap.settle()
        pool = WorkerPool(settings.workers.count, environ, config_path)
        pool.start()
        asyncio.run(_serve_with(services, pool, embedded, host, port, serve_forever))
    finally:
        if pool is not None:
            pool.stop()
        if embedded is not None:
            embedded.stop()
        lock.close()
        log.info("stopped")


async def _serve_with(services, pool: WorkerPool, embedded: EmbeddedRedis | None, host: str, port: int,
                      serve_forever) -> None:
    supervisor = asyncio.create_task(_supervise(pool, embedded))
    try:
        await serve_forever(services, host, port)
    finally:
        supervisor.cancel()
