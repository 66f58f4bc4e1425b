"""A real aiosmtpd SMTP server on 127.0.0.1, port 0, that records every envelope it accepts.

Runs its own event loop in a thread so synchronous code (smtplib, RQ jobs)
can talk to it. `refuse_rcpt` makes it answer RCPT with a given reply.
"""

from __future__ import annotations

import asyncio
import email
import smtplib
import threading
from dataclasses import dataclass, field
from email import policy

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
    autorespond_to: int | None = None
    autorespond_limit: int = 0
    autoresponses: int = 0

    async def handle_RCPT(self, server, session: Session, envelope: Envelope, address: str, options) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:
        with self.arrived:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
            self.arrived.notify_all()
        if self.autorespond_to and self.autoresponses < self.autorespond_limit:
            self.autoresponses += 1
            asyncio.get_running_loop().run_in_executor(None, self._answer, bytes(envelope.original_content))
        return "250 Message accepted"

    def _answer(self, original: bytes) -> None:
        """Reply like a careless vacation responder: no Auto-Submitted, no Precedence, a fresh Message-ID."""
        mail = email.message_from_bytes(original, policy=policy.default)
        reply_to = mail["Reply-To"] or mail["From"]
        target = reply_to.addresses[0].addr_spec
        sender = mail["To"].addresses[0].addr_spec
        answer = (f"From: {sender}\r\nTo: {target}\r\nSubject: Re: {mail['Subject']}\r\n"
                  f"Message-ID: <auto-{self.autoresponses}@responder.example>\r\n"
                  f"In-Reply-To: {mail['Message-ID']}\r\nReferences: {mail['Message-ID']}\r\n\r\n"
                  "I am away until Monday and will read your message then.\r\n").encode()
        with smtplib.SMTP("127.0.0.1", self.autorespond_to, timeout=10) as client:
            client.sendmail(sender, [target], answer)


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

    def autorespond(self, listener_port: int, limit: int) -> None:
        """Answer each received mail (at most `limit` times) by mailing the listener on `listener_port`."""
        self.handler.autorespond_to = listener_port
        self.handler.autorespond_limit = limit

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
