"""The inbound SMTP listener: aiosmtpd (https://aiosmtpd.readthedocs.io/en/latest/smtp.html).

It is never a relay: RCPT is refused with `550 5.7.1` unless the address is
ours. DATA is answered `250` only after `accept` returned (the raw message is
committed and queued); any failure behind it answers `451 4.3.0` so the
sending server keeps the mail and retries, and nothing internal is said.
aiosmtpd ≥ 1.4.5 ends DATA only at `<CRLF>.<CRLF>`, which stops SMTP
smuggling with a bare `\\n.\\r\\n`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import ssl
from collections.abc import Awaitable, Callable

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from config.email import EmailChannelSettings, SmtpListenerSettings
from frontdesk.channel import Accepted

log = logging.getLogger(__name__)
# aiosmtpd logs every protocol line at INFO: keep AUTH exchanges and addresses out of the logs.
logging.getLogger("mail.log").setLevel(logging.WARNING)

# (raw bytes, envelope recipients, transport meta) -> committed and queued (EmailAdapter.accept_mail)
AcceptMail = Callable[[bytes, list[str], dict[str, str]], Awaitable[Accepted]]
TEMPFAIL = "451 4.3.0 Temporary failure, please try again later"


class Recipients:
    """Which envelope recipients are ours: configured addresses, or any address at a local domain."""

    def __init__(self, settings: SmtpListenerSettings):
        self.domains = set(settings.local_domains)
        self.addresses = set(settings.local_addresses)

    def accepts(self, address: str) -> bool:
        """True when `address` is one we take mail for."""
        address = address.strip().lower()
        local, at, domain = address.rpartition("@")
        return bool(at and local) and (address in self.addresses or domain in self.domains)


class IntakeHandler:
    """aiosmtpd handler hooks: RCPT policy, and DATA through `accept`."""

    def __init__(self, settings: EmailChannelSettings, accept_mail: AcceptMail):
        self.settings = settings
        self.recipients = Recipients(settings.smtp)
        self.accept_mail = accept_mail

    async def handle_RCPT(self, server, session: Session, envelope: Envelope, address: str, options) -> str:
        if not self.recipients.accepts(address):
            return "550 5.7.1 Relaying denied: not a local address"
        if len(envelope.rcpt_tos) >= self.settings.smtp.max_recipients:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:
        body = bytes(envelope.original_content or b"")
        try:
            meta = {"sender": envelope.mail_from or "", "recipients": " ".join(envelope.rcpt_tos),
                    "peer": str(session.peer[0]) if session.peer else ""}
            accepted = await self.accept_mail(body, envelope.rcpt_tos, meta)
        except Exception as error:  # whatever broke behind us, the sender must keep the mail and retry
            log.warning("email channel: intake failed, answered 451: %s", type(error).__name__)
            return TEMPFAIL
        return f"250 2.0.0 Queued as {accepted.message_id}"


class ListenerSMTP(SMTP):
    """aiosmtpd's protocol with our line-length limit and a cap on concurrent sessions."""

    def __init__(self, handler, sessions: list[int], settings: SmtpListenerSettings, **kwargs):
        self.line_length_limit = settings.max_line_length
        super().__init__(handler, **kwargs)
        self._sessions = sessions
        self._max_sessions = settings.max_sessions

    def connection_made(self, transport) -> None:
        self._sessions[0] += 1
        super().connection_made(transport)
        if self._sessions[0] > self._max_sessions:
            transport.write(b"421 4.7.0 Too many connections, try again later\r\n")
            transport.close()

    def connection_lost(self, error) -> None:
        self._sessions[0] -= 1
        super().connection_lost(error)


def _tls_context(settings: SmtpListenerSettings) -> ssl.SSLContext | None:
    tls = settings.tls
    if tls.certfile is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(tls.certfile), str(tls.keyfile) if tls.keyfile else None)
    return context


def _authenticator(settings: SmtpListenerSettings):
    tls = settings.tls
    if not tls.auth_username or tls.auth_password is None:
        return None
    expected_user, expected_password = tls.auth_username.encode(), tls.auth_password.get_secret_value().encode()

    def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and hmac.compare_digest(auth_data.login, expected_user)
              and hmac.compare_digest(auth_data.password, expected_password))
        return AuthResult(success=ok, handled=False)

    return authenticate


async def start_listener(settings: EmailChannelSettings, accept_mail: AcceptMail) -> asyncio.Server:
    """Listen on `settings.smtp.host:port` (port 0 picks one); the caller closes the returned server."""
    smtp = settings.smtp
    handler = IntakeHandler(settings, accept_mail)
    sessions = [0]
    tls_context = _tls_context(smtp)
    authenticator = _authenticator(smtp)

    def factory() -> ListenerSMTP:
        return ListenerSMTP(
            handler, sessions, smtp, data_size_limit=smtp.max_message_bytes, enable_SMTPUTF8=True,
            decode_data=False, hostname=smtp.hostname, ident="Frontdesk ESMTP", tls_context=tls_context,
            timeout=smtp.session_timeout.total_seconds(), command_call_limit=smtp.max_commands,
            authenticator=authenticator, auth_require_tls=True, auth_required=False,
        )

    server = await asyncio.get_running_loop().create_server(factory, smtp.host, smtp.port)
    log.info("email channel: SMTP listener on %s:%s", smtp.host, server.sockets[0].getsockname()[1])
    return server
