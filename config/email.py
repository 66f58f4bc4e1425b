"""Settings of the email channel (inbound SMTP, IMAP mailboxes, parser limits) and the email sender.

Also the HMAC token codec that the sender (reply+<token>@ addresses,
RFC 8058 unsubscribe links) and the inbound side (verifying them) share:
both receive these settings, and neither may import the other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import struct
import time
from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from config.types import Duration, Section

_DOMAIN = r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"
_ADDRESS = r"^[^@\s<>]+@[^@\s<>]+$"


class SmtpTlsSettings(Section):
    """Optional STARTTLS for the inbound listener; AUTH is offered only after TLS."""

    certfile: Path | None = None
    keyfile: Path | None = None
    auth_username: str | None = None
    auth_password_env: str = "FRONTDESK_SMTP_PASSWORD"
    auth_password: SecretStr | None = Field(None, json_schema_extra={"secret_env": "auth_password_env"})


class SmtpListenerSettings(Section):
    """The inbound SMTP listener: where it listens, whom it accepts mail for, and its limits."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(2525, ge=0, le=65535)
    hostname: str = "localhost"
    local_domains: list[str] = Field(default_factory=lambda: ["localhost"])
    local_addresses: list[str] = Field(default_factory=list)
    max_message_bytes: int = Field(25 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    max_line_length: int = Field(4096, ge=998, le=1024 * 1024)
    max_commands: int = Field(200, ge=10, le=100_000)
    max_recipients: int = Field(100, ge=1, le=10_000)
    session_timeout: Duration = timedelta(minutes=5)
    max_sessions: int = Field(100, ge=1, le=10_000)
    tls: SmtpTlsSettings = Field(default_factory=SmtpTlsSettings)

    @field_validator("local_domains")
    @classmethod
    def _domains(cls, domains: list[str]) -> list[str]:
        for domain in domains:
            if not re.match(_DOMAIN, domain):
                raise ValueError(f"not a domain name: {domain!r}")
        return [domain.lower() for domain in domains]

    @field_validator("local_addresses")
    @classmethod
    def _addresses(cls, addresses: list[str]) -> list[str]:
        for address in addresses:
            if not re.match(_ADDRESS, address):
                raise ValueError(f"not an email address: {address!r}")
        return [address.lower() for address in addresses]


class ImapMailboxSettings(Section):
    """One IMAP mailbox to take mail from."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    host: str
    port: int = Field(993, ge=1, le=65535)
    ssl: bool = True
    starttls: bool = False
    username: str
    password_env: str = "FRONTDESK_IMAP_PASSWORD"
    password: SecretStr | None = Field(None, json_schema_extra={"secret_env": "password_env"})
    folder: str = "INBOX"
    processed_folder: str | None = None
    idle: bool = True
    idle_renew: Duration = timedelta(minutes=9)
    poll_interval: Duration = timedelta(seconds=60)
    socket_timeout: Duration = timedelta(seconds=30)
    batch_size: int = Field(50, ge=1, le=1000)
    max_backoff: Duration = timedelta(minutes=5)


class EmailParseLimits(Section):
    """Guards applied before and during parsing; a message beyond them is quarantined."""

    max_header_block_bytes: int = Field(256 * 1024, ge=1024)
    max_header_bytes: int = Field(16 * 1024, ge=256)
    max_addresses: int = Field(200, ge=1)
    max_depth: int = Field(20, ge=1, le=100)
    max_parts: int = Field(200, ge=1)
    max_seconds: float = Field(1.0, gt=0, le=60)
    max_text_chars: int = Field(100_000, ge=1000)


class EmailChannelSettings(Section):
    """The email channel: inbound SMTP, IMAP mailboxes, parser limits and threading."""

    enabled: bool = True
    smtp: SmtpListenerSettings = Field(default_factory=SmtpListenerSettings)
    imap: list[ImapMailboxSettings] = Field(default_factory=list)
    limits: EmailParseLimits = Field(default_factory=EmailParseLimits)
    subject_thread_window: Duration = timedelta(days=14)

    @field_validator("imap")
    @classmethod
    def _unique_mailboxes(cls, mailboxes: list[ImapMailboxSettings]) -> list[ImapMailboxSettings]:
        names = [mailbox.name for mailbox in mailboxes]
        if len(names) != len(set(names)):
            raise ValueError(f"mailbox names must be unique: {names}")
        return mailboxes


class EmailSenderSettings(Section):
    """Outbound mail: the SMTP relay, our addresses and domains, and the token secret."""

    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    outbox: Path | None = Field(None, description=(
        "A Maildir that keeps every outgoing mail instead of sending it to the relay (also\n"
        "FRONTDESK_EMAIL_OUTBOX); `frontdesk run` uses <data_dir>/outbox when no host, port or outbox is set."))
    timeout: Duration = timedelta(seconds=20)
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password_env: str = "FRONTDESK_SMTP_RELAY_PASSWORD"
    password: SecretStr | None = Field(None, json_schema_extra={"secret_env": "password_env"})
    from_address: str = Field("frontdesk@localhost", pattern=_ADDRESS)
    from_name: str | None = None
    domain: str = Field("localhost", pattern=_DOMAIN)
    loop_marker: str = Field("frontdesk", pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
    recipient_cap: int = Field(10, ge=1, le=10_000)
    recipient_cap_window: Duration = timedelta(hours=3)
    unsubscribe_path: str = Field("/email/unsubscribe", pattern=r"^/[A-Za-z0-9/_-]*$")
    unsubscribe_valid: Duration = timedelta(days=90)
    token_secret_env: str = "FRONTDESK_EMAIL_TOKEN_SECRET"
    token_secret: SecretStr | None = Field(None, json_schema_extra={"secret_env": "token_secret_env"})

    @field_validator("unsubscribe_valid")
    @classmethod
    def _thirty_days(cls, value: timedelta) -> timedelta:
        if value < timedelta(days=30):
            raise ValueError("unsubscribe links must stay valid for at least 30 days")
        return value

    @property
    def loop_id(self) -> str:
        """The value of our X-Loop header; inbound mail carrying it is our own."""
        return f"{self.loop_marker}@{self.domain}"

    def codec(self, data_dir: Path) -> "TokenCodec":
        """The token codec: the configured secret, or one generated once and kept in `data_dir`."""
        if self.token_secret is not None:
            return TokenCodec(self.token_secret.get_secret_value().encode())
        return TokenCodec(_data_dir_secret(Path(data_dir)))


def _data_dir_secret(data_dir: Path) -> bytes:
    path = data_dir / "email-token.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        temporary.write_bytes(secrets.token_bytes(32))
        temporary.chmod(0o600)
        temporary.replace(path)
    return path.read_bytes()


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def _unb32(text: str) -> bytes:
    return base64.b32decode(text.upper() + "=" * (-len(text) % 8))


class TokenCodec:
    """HMAC-SHA256 tokens: case reply tokens for `reply+<token>@` and opt-out tokens.

    Reply tokens are lowercase base32 (mail systems may fold the local part's
    case); opt-out tokens carry the address and their day of issue.
    """

    def __init__(self, secret: bytes):
        self._secret = secret

    def _mac(self, purpose: bytes, payload: bytes, size: int) -> bytes:
        return hmac.new(self._secret, purpose + b"\0" + payload, hashlib.sha256).digest()[:size]

    def reply_token(self, case_id: int) -> str:
        """An opaque token naming `case_id`, for the local part `reply+<token>`."""
        payload = struct.pack(">Q", case_id)
        return _b32(payload + self._mac(b"reply", payload, 10))

    def read_reply_token(self, token: str) -> int | None:
        """The case id of a genuine reply token, else None."""
        try:
            raw = _unb32(token.strip().lower())
        except (ValueError, TypeError):
            return None
        if len(raw) != 18 or not hmac.compare_digest(raw[8:], self._mac(b"reply", raw[:8], 10)):
            return None
        return struct.unpack(">Q", raw[:8])[0]

    def unsubscribe_token(self, address: str, now: float | None = None) -> str:
        """An opaque token that opts `address` out; its day of issue is inside it."""
        day = int((time.time() if now is None else now) // 86400)
        payload = struct.pack(">I", day) + address.strip().lower().encode()
        return base64.urlsafe_b64encode(payload + self._mac(b"unsubscribe", payload, 16)).decode().rstrip("=")

    def read_unsubscribe_token(self, token: str, valid: timedelta, now: float | None = None) -> str | None:
        """The address of a genuine token issued within `valid`, else None."""
        try:
            raw = base64.urlsafe_b64decode(token.strip() + "=" * (-len(token.strip()) % 4))
        except (ValueError, TypeError):
            return None
        payload, mac = raw[:-16], raw[-16:]
        if len(payload) < 6 or not hmac.compare_digest(mac, self._mac(b"unsubscribe", payload, 16)):
            return None
        issued = struct.unpack(">I", payload[:4])[0]
        today = int((time.time() if now is None else now) // 86400)
        if not 0 <= today - issued <= valid.days:
            return None
        try:
            return payload[4:].decode()
        except UnicodeDecodeError:
            return None
