"""IMAP mailboxes: imapclient (https://imapclient.readthedocs.io/en/3.0.0/), one poller per configured mailbox.

Per mailbox the store keeps (UIDVALIDITY, last UID), advanced only after
`accept` returned for every message up to it. Messages are fetched with
`BODY.PEEK[]`, so a person's \\Seen flag neither hides a message nor is set
by us. `UID n:*` always returns the highest message even when it is below n
(RFC 3501 §6.4.8): those are filtered out. After a UIDVALIDITY change the
whole folder is read again and intake drops what it has by content key.
IDLE waits for news where offered (renewed every `poll_interval`, well
within the 29-minute limit), polling elsewhere; a catch-up search follows
every reconnect. A Redis lock keeps two processes from polling one mailbox.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from redis.exceptions import LockError, RedisError

from channels.email.guard import raw_headers, split_header_block
from channels.email.markers import header_values
from config.email import EmailParseLimits, ImapMailboxSettings
from frontdesk.channel import ChannelContext, PollHealth
from frontdesk.errors import IntakeUnavailableError, MalformedPayloadError

log = logging.getLogger(__name__)
RETRYABLE = (IMAPClientError, OSError, socket.timeout, ssl.SSLError, LockError, RedisError, IntakeUnavailableError)


def return_path(body: bytes) -> str | None:
    """The envelope sender the delivering server wrote as `Return-Path:` ("" for `<>`), if any."""
    try:
        values = header_values(raw_headers(split_header_block(body, EmailParseLimits())), "return-path")
    except MalformedPayloadError:
        return None
    if not values:
        return None
    match = re.search(r"<([^<>\s]*)>", values[0])
    return (match.group(1) if match else values[0].strip()).lower()[:320]


def cursor_name(mailbox: ImapMailboxSettings) -> str:
    """The store cursor of a mailbox."""
    return f"email:imap:{mailbox.name}"


async def poll_mailbox(mailbox: ImapMailboxSettings, context: ChannelContext, accept_mail,
                       health: PollHealth | None = None) -> None:
    """Poll one mailbox until cancelled: lock, connect, catch up, wait; reconnect with backoff and jitter.

    `health` hears of every failure (a wrong password fails every connection) and of every catch-up that went
    through; a good connection starts the backoff afresh. An error nobody expected is logged with its traceback
    and tried again after `max_backoff`: one mailbox's fault must not end its polling for the life of the server.
    """
    failures = 0
    stream = f"imap:{mailbox.name}"

    def connected() -> None:
        nonlocal failures
        failures = 0

    def caught_up() -> None:
        if health is not None:
            health.ok(stream)
    ttl = max(30.0, 3 * (mailbox.poll_interval + mailbox.socket_timeout).total_seconds())
    # One thread per mailbox for every blocking call: imapclient connections and redis-py
    # lock tokens (thread-local) both belong to the thread that made them.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"imap-{mailbox.name}")
    loop = asyncio.get_running_loop()
    run = lambda function, *args: loop.run_in_executor(executor, function, *args)  # noqa: E731
    try:
        while True:
            lock = context.lock(cursor_name(mailbox), ttl) if context.lock else None
            held = False
            try:
                if lock is not None and not (held := await run(lock.acquire)):
                    await asyncio.sleep(mailbox.poll_interval.total_seconds())
                    continue
                await MailboxSession(mailbox, context, accept_mail, lock, ttl, run, connected, caught_up).run()
            except RETRYABLE as error:
                failures += 1
                if health is not None:
                    health.failed(stream, error)
                delay = min(mailbox.max_backoff.total_seconds(), 0.5 * 2 ** min(failures, 16))
                log.warning("email channel: mailbox %s: %s; reconnecting in %.1fs", mailbox.name,
                            type(error).__name__, delay)
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            except Exception as error:  # a fault of ours or of a library: keep polling, slowly, and show it
                failures += 1
                if health is not None:
                    health.failed(stream, error)
                delay = mailbox.max_backoff.total_seconds()
                log.exception("email channel: mailbox %s failed unexpectedly; trying again in %.1fs",
                              mailbox.name, delay)
                await asyncio.sleep(delay)
            finally:
                if held:
                    await run(_release, lock)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _release(lock) -> None:
    try:
        lock.release()
    except (LockError, RedisError):
        pass  # expired or Redis gone: it frees itself after its TTL


class MailboxSession:
    """One connection's life: select, then catch up and wait, until an error or cancellation."""

    def __init__(self, mailbox: ImapMailboxSettings, context: ChannelContext, accept_mail, lock, ttl: float, run,
                 on_connected=lambda: None, on_caught_up=lambda: None):
        self.mailbox = mailbox
        self.on_connected = on_connected
        self.on_caught_up = on_caught_up
        self.context = context
        self.accept_mail = accept_mail
        self.lock = lock
        self.ttl = ttl
        self.run_blocking = run
        self.client: IMAPClient | None = None
        self.uidvalidity = 0

    async def run(self) -> None:
        """Connect and loop; the connection is closed however it ends."""
        try:
            await self.run_blocking(self._connect)
            self.on_connected()
            idle = self.mailbox.idle and b"IDLE" in self.client.capabilities()
            while True:
                while await self.catch_up() >= self.mailbox.batch_size:
                    pass
                self.on_caught_up()
                await self.run_blocking(self._keep_lock)
                if idle:
                    await self.run_blocking(self._idle, self.mailbox.poll_interval.total_seconds())
                else:
                    await asyncio.sleep(self.mailbox.poll_interval.total_seconds())
        finally:
            if self.client is not None:
                await self.run_blocking(self._logout)

    def _connect(self) -> None:
        mailbox = self.mailbox
        self.client = IMAPClient(mailbox.host, port=mailbox.port, ssl=mailbox.ssl,
                                 timeout=mailbox.socket_timeout.total_seconds())
        if mailbox.starttls and not mailbox.ssl:
            self.client.starttls(ssl.create_default_context())
        password = mailbox.password.get_secret_value() if mailbox.password else ""
        self.client.login(mailbox.username, password)
        selected = self.client.select_folder(mailbox.folder, readonly=mailbox.processed_folder is None)
        self.uidvalidity = int(selected[b"UIDVALIDITY"])

    def _keep_lock(self) -> None:
        if self.lock is not None:
            self.lock.extend(self.ttl, replace_ttl=True)

    def _idle(self, seconds: float) -> None:
        self.client.idle()
        try:
            self.client.idle_check(timeout=seconds)
        finally:
            self.client.idle_done()

    def _logout(self) -> None:
        try:
            self.client.logout()
        except (IMAPClientError, OSError):
            try:
                self.client.shutdown()
            except (IMAPClientError, OSError):
                pass  # already gone

    def _last_uid(self) -> int:
        cursor = self.context.cursors.get(cursor_name(self.mailbox)) if self.context.cursors else None
        if not cursor or cursor.get("uidvalidity") != self.uidvalidity:
            return 0
        return int(cursor.get("last_uid", 0))

    def _fetch_new(self) -> list[tuple[int, bytes]]:
        last = self._last_uid()
        uids = sorted(uid for uid in self.client.search(["UID", f"{last + 1}:*"]) if uid > last)
        uids = uids[: self.mailbox.batch_size]
        if not uids:
            return []
        fetched = self.client.fetch(uids, ["BODY.PEEK[]"])
        return [(uid, fetched[uid][b"BODY[]"]) for uid in uids if b"BODY[]" in fetched.get(uid, {})]

    async def catch_up(self) -> int:
        """Accept every message past the cursor (one batch), then advance it; returns how many were fetched."""
        messages = await self.run_blocking(self._fetch_new)
        for uid, body in messages:
            meta = {"mailbox": self.mailbox.name, "uid": str(uid), "uidvalidity": str(self.uidvalidity)}
            sender = return_path(body)
            if sender is not None:
                meta["sender"] = sender  # what the delivering server recorded as MAIL FROM
            await self.accept_mail(body, [], meta)
        if messages:
            await self.run_blocking(self._commit, [uid for uid, _ in messages])
        return len(messages)

    def _commit(self, uids: list[int]) -> None:
        if self.context.cursors is not None:
            self.context.cursors.set(cursor_name(self.mailbox), {"uidvalidity": self.uidvalidity, "last_uid": max(uids)})
        if self.mailbox.processed_folder:
            if b"MOVE" in self.client.capabilities():
                self.client.move(uids, self.mailbox.processed_folder)
            else:
                self.client.copy(uids, self.mailbox.processed_folder)
                self.client.delete_messages(uids)
                self.client.expunge(uids)
