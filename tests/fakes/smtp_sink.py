"""A real aiosmtpd SMTP server on 127.0.0.1, port 0, that records every envelope it accepts.

Runs its own event loop in a thread so synchronous code (smtplib, RQ jobs)
can talk to it. `refuse_rcpt` makes it answer RCPT with a given reply.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    """One accepted mail: envelope sender, recipients and the bytes of the message."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse_rcpt: str | None = None
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(self, server, session: Session, envelope: Envelope, address: str, options) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:
        with self.arrived:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
            self.arrived.notify_all()
        return "250 Message accepted"


class SmtpSink:
    """Start with `with SmtpSink() as sink:`; `sink.port`, `sink.received`, `sink.wait_for(n)`."""

    def __init__(self):
        self.handler = _Handler()
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def refuse_rcpt(self, reply: str | None) -> None:
        self.handler.refuse_rcpt = reply

    def __enter__(self) -> "SmtpSink":
        self._thread.start()
        factory = lambda: SMTP(self.handler, hostname="sink.test", decode_data=False)  # noqa: E731
        future = asyncio.run_coroutine_threadsafe(self.loop.create_server(factory, "127.0.0.1", 0), self.loop)
        self._server = future.result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc) -> None:
        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until `count` mails arrived (or the timeout passed); return what arrived."""
        with self.handler.arrived:
            self.handler.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
        return list(self.received)
