"""The email channel: inbound SMTP (aiosmtpd), IMAP mailboxes (imapclient), and the RFC 8058 opt-out routes.

Upstream documentation: aiosmtpd https://aiosmtpd.readthedocs.io/en/latest/,
imapclient https://imapclient.readthedocs.io/en/3.0.0/, RFC 8058.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from functools import partial

from aiohttp import web

from channels.email.attachments import store_attachments
from channels.email.guard import Deadline, check_headers, parse_bounded, split_header_block
from channels.email.imap import poll_mailbox
from channels.email.parse import ParseOptions, external_id, parse_email
from channels.email.reports import attach_report, is_report
from channels.email.threading import reply_case
from channels.email.transport import start_listener
from channels.email.unsubscribe import UnsubscribeRoutes
from config.email import EmailChannelSettings, EmailParseLimits
from frontdesk.channel import Accept, Accepted, ChannelContext, PollHealth
from frontdesk.errors import MalformedPayloadError
from frontdesk.models import Message, RawInbound
from frontdesk.privacy.errors import KeyringError
from frontdesk.privacy.setup import vault_for

log = logging.getLogger(__name__)
_MULTIPART = re.compile(rb"content-type:\s*multipart/", re.IGNORECASE)


class EmailAdapter:
    """Inbound email; a message that cannot be parsed still opens an "unparsed" case."""

    slug = "email"
    quarantine_opens_case = True

    def __init__(self, settings: EmailChannelSettings, context: ChannelContext):
        self.settings = settings
        self.context = context
        self.smtp_port: int | None = None
        self.imap_health = PollHealth()
        sender = context.settings.outbound.email
        self.codec = sender.codec(context.settings.data_dir)
        self.vault = vault_for(context.settings)
        # Parsing happens in workers, which call `parse` on the class: what it needs travels in meta.
        self.meta = {"loop_id": sender.loop_id, "subject_window_days": str(settings.subject_thread_window.days)}
        custom_limits = settings.limits.model_dump(exclude_defaults=True)
        if custom_limits:
            self.meta["limits"] = json.dumps(custom_limits)

    def health(self) -> str | None:
        """A mailbox that keeps failing (a wrong password, say), or None; shown by /healthz."""
        return self.imap_health.problem()

    def intake_meta(self, body: bytes, recipients: list[str]) -> dict[str, str]:
        """The meta recorded with a raw mail: parse options, and the case a genuine reply token names."""
        try:
            block = split_header_block(body, EmailParseLimits())
        except MalformedPayloadError:
            return dict(self.meta)
        body_text = body[len(block):len(block) + 65536].decode("ascii", "replace")
        case_id = reply_case(self.codec, block.decode("ascii", "replace"), recipients, body_text)
        return {**self.meta, "reply_case": str(case_id)} if case_id is not None else dict(self.meta)

    async def accept_mail(self, accept: Accept, body: bytes, recipients: list[str], meta: dict[str, str]) -> Accepted:
        """Commit one raw mail through `accept` (SMTP and IMAP both come here), then keep its attachments.

        The raw message is the record; attachment files are a copy, so failing to write them is logged, not fatal.
        """
        accepted = await accept("email", external_id(body), body, content_type="message/rfc822",
                                meta={**self.intake_meta(body, recipients), **meta})
        if not accepted.duplicate and _MULTIPART.search(body[:65536]):
            await asyncio.to_thread(self._keep_attachments, body)
        return accepted

    def _keep_attachments(self, body: bytes) -> None:
        limits = self.settings.limits
        try:
            check_headers(split_header_block(body, limits), limits)
            store_attachments(parse_bounded(body, limits, Deadline(limits.max_seconds)), self.vault)
        except (MalformedPayloadError, OSError, ValueError, KeyringError) as error:
            log.warning("email channel: attachments not stored (the raw message keeps them): %s", type(error).__name__)

    @staticmethod
    def parse(raw: RawInbound) -> Message:
        """See channels.email.parse.parse_email; options come from the meta the transport recorded."""
        limits = EmailParseLimits(**json.loads(raw.meta["limits"])) if raw.meta.get("limits") else EmailParseLimits()
        days = raw.meta.get("subject_window_days", "")
        options = ParseOptions(limits=limits, loop_id=raw.meta.get("loop_id") or ParseOptions.loop_id,
                               subject_window_days=int(days) if days.isdigit() else ParseOptions.subject_window_days)
        return parse_email(raw, options)

    @staticmethod
    def attach_report(session, message: Message) -> bool:
        """For workers: a bounce or delivery report goes onto the delivery it reports on instead of being routed.

        True when `message` was such a report (then no case is opened for it).
        """
        if not is_report(message):
            return False
        attach_report(session, message)
        return True

    async def run(self, accept: Accept) -> None:
        """Run the SMTP listener (when enabled) and one poller per IMAP mailbox until cancelled."""
        server = None
        tasks = [asyncio.create_task(poll_mailbox(mailbox, self.context, partial(self.accept_mail, accept),
                                                  self.imap_health),
                                     name=f"email:imap:{mailbox.name}") for mailbox in self.settings.imap]
        for task in tasks:
            task.add_done_callback(_log_death)
        try:
            if self.settings.smtp.enabled:
                server = await start_listener(self.settings, partial(self.accept_mail, accept))
                self.smtp_port = server.sockets[0].getsockname()[1]
            await asyncio.Event().wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if server is not None:
                server.close()
                await server.wait_closed()

    def routes(self, accept: Accept) -> list[web.RouteDef]:
        """The RFC 8058 one-click opt-out: `GET` shows a confirmation page, `POST` opts out."""
        return UnsubscribeRoutes(self.context.settings).routes()


def _log_death(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("email channel: %s stopped: %r", task.get_name(), task.exception(), exc_info=task.exception())
