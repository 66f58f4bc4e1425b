"""Acknowledgments and pages by email, through an SMTP relay (stdlib smtplib,
https://docs.python.org/3.11/library/smtplib.html), or into a Maildir (`outbox`).

The socket timeout is the section's `timeout`, kept shorter than the RQ job's
so a silent relay ends in a retryable failure, not a killed job.
"""

from __future__ import annotations

import hashlib
import mailbox
import smtplib
import ssl
import time
import uuid

from redis.exceptions import RedisError

from config.email import EmailSenderSettings
from frontdesk.models import DeliveryResult, Message, Rendered, utcnow
from frontdesk.sender import SenderContext
from outbound.email_compose import Composed, compose
from outbound.email_headers import address
from outbound.errors import HeaderInjectionError


class EmailSender:
    """Sends one mail per call to one address and reports the relay's answer."""

    slug = "email"
    # SMTP relays do not dedupe; a re-send after a crash would reach the customer twice.
    resend_safe = False

    def __init__(self, settings: EmailSenderSettings, context: SenderContext):
        self.settings = settings
        self.organisation = context.settings.organisation
        self.codec = settings.codec(context.data_dir)
        self.redis = context.redis
        self._tls_context: ssl.SSLContext | None = None

    def reply_target(self, message: Message) -> str | None:
        """The address an acknowledgment to `message` goes to (its Reply-To, else its sender), email only."""
        if message.channel != "email":
            return None
        target = message.reply_to.get("address") or message.sender.email
        try:
            return address(target) if target else None
        except HeaderInjectionError:
            return None

    def send(self, target: str, rendered: Rendered) -> DeliveryResult:
        """Send `rendered` to `target`; the provider id is our Message-ID (without brackets)."""
        try:
            composed = compose(rendered, address(target), self.settings, self.organisation, self.codec, utcnow())
        except HeaderInjectionError as error:
            return DeliveryResult(target=target[:320], status="failed", error=str(error)[:500])
        if rendered.kind != "page" and not self._within_recipient_cap(target):
            return DeliveryResult(target=target, status="skipped", detail=(
                f"recipient cap: {self.settings.recipient_cap} per {self.settings.recipient_cap_window}"))
        if self.settings.outbox is not None:
            return self._write_to_outbox(target, composed)
        try:
            self._transmit(target, composed)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            return _refused(target, composed, code, reply)
        except smtplib.SMTPResponseException as error:
            return _refused(target, composed, error.smtp_code, error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:
            return DeliveryResult(target=target, status="failed", retryable=True, provider_id=composed.message_id,
                                  error=f"{type(error).__name__}: {error}"[:500])
        return DeliveryResult(target=target, status="sent", provider_id=composed.message_id)

    def _write_to_outbox(self, target: str, composed: Composed) -> DeliveryResult:
        """The mail as the relay would have had it, as one file in the outbox Maildir's `new/`."""
        try:
            # Maildir files end lines with LF; the relay would have had CRLF.
            key = mailbox.Maildir(self.settings.outbox, create=True).add(composed.data.replace(b"\r\n", b"\n"))
        except OSError as error:
            return DeliveryResult(target=target, status="failed", retryable=True, provider_id=composed.message_id,
                                  error=f"outbox: {type(error).__name__}: {error}"[:500])
        return DeliveryResult(target=target, status="sent", provider_id=composed.message_id,
                              detail=f"written to {self.settings.outbox / 'new' / key}")

    def _tls(self) -> ssl.SSLContext:
        # Loading the CA bundle costs about 0.1 s: once per sender, and only when TLS is used.
        if self._tls_context is None:
            self._tls_context = ssl.create_default_context()
        return self._tls_context

    def _within_recipient_cap(self, target: str) -> bool:
        """Count this mail against the recipient's sliding window; False when the window is full.

        Two autoresponders answering each other across many cases still stop here.
        Without Redis (or when it fails) the per-case limit of the workers still holds.
        """
        if self.redis is None:
            return True
        key = "frontdesk:email:sent:" + hashlib.sha256(target.lower().encode()).hexdigest()[:32]
        window = self.settings.recipient_cap_window.total_seconds()
        now, member = time.time(), uuid.uuid4().hex
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.zremrangebyscore(key, 0, now - window).zadd(key, {member: now}).zcard(key).expire(key, int(window) + 1)
            count = pipe.execute()[2]
            if count > self.settings.recipient_cap:
                self.redis.zrem(key, member)
                return False
        except RedisError:
            return True
        return True

    def _transmit(self, target: str, composed: Composed) -> None:
        settings = self.settings
        timeout = settings.timeout.total_seconds()
        if settings.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout,
                                                    local_hostname=settings.domain, context=self._tls())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=timeout, local_hostname=settings.domain)
        with client:
            if settings.starttls and not settings.ssl:
                client.starttls(context=self._tls())
            if settings.username and settings.password is not None:
                client.login(settings.username, settings.password.get_secret_value())
            client.sendmail(composed.envelope_from, [target], composed.data)


def _refused(target: str, composed: Composed, code: int, reply: bytes | str) -> DeliveryResult:
    """A relay's refusal: 4xx is worth retrying, 5xx is final."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return DeliveryResult(target=target, status="failed", retryable=400 <= code < 500,
                          provider_id=composed.message_id, error=f"{code} {text}"[:500])

