"""The bytes of one outgoing mail: threading, loop-prevention and opt-out headers, and the body.

RFC 3834 (Auto-Submitted), RFC 5322 (In-Reply-To / References), RFC 2369
and RFC 8058 (List-Unsubscribe, one-click), Microsoft's
X-Auto-Response-Suppress, and CAN-SPAM's rules for commercial mail.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email import quoprimime
from email.utils import format_datetime

from config.email import EmailSenderSettings, TokenCodec
from config.schema import OrganisationSettings
from frontdesk.models import Rendered
from outbound.email_headers import address_header, ids_header, one_line, raw_header, text_header
from outbound.errors import HeaderInjectionError


_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw|odp|r)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Composed:
    """A mail ready for SMTP: its Message-ID (without brackets), envelope sender and bytes."""

    message_id: str
    envelope_from: str
    data: bytes


def message_id_for(idempotency_key: str, domain: str, reply_token: str | None = None) -> str:
    """Our Message-ID for a delivery: the same key always gives the same id, in our domain.

    With the case's reply token inside, a reply that quotes only this id still finds its case.
    """
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest() if idempotency_key else secrets.token_hex(32)
    return f"fd.{reply_token}.{digest[:16]}@{domain}" if reply_token else f"fd.{digest[:32]}@{domain}"


def unsubscribe_url(base_url: str, path: str, token: str) -> str:
    """The RFC 8058 one-click URL for an opt-out token."""
    return f"{base_url.rstrip('/')}{path}/{token}"


def compose(
    rendered: Rendered,
    target: str,
    settings: EmailSenderSettings,
    organisation: OrganisationSettings,
    codec: TokenCodec,
    now: datetime,
) -> Composed:
    """Build the mail for `rendered` to `target`; HeaderInjectionError when a value cannot be written safely."""
    case_id = rendered.meta.get("case_id", "")
    reply_token = codec.reply_token(int(case_id)) if case_id.isdigit() else None
    message_id = message_id_for(rendered.idempotency_key, settings.domain, reply_token)
    opt_out = unsubscribe_url(organisation.dashboard_url, settings.unsubscribe_path, codec.unsubscribe_token(target))
    body = rendered.text
    if rendered.meta.get("commercial") == "true":
        if not organisation.postal_address:
            raise HeaderInjectionError("commercial mail needs organisation.postal_address (CAN-SPAM)")
        body += f"\n\n--\n{organisation.name}, {organisation.postal_address}\nUnsubscribe: {opt_out}\n"
    lines = [
        address_header("From", settings.from_address, settings.from_name or organisation.name),
        address_header("To", target),
        text_header("Subject", _subject(rendered, organisation)),
        raw_header("Date", format_datetime(now)),
        raw_header("Message-ID", f"<{message_id}>"),
        *_threading(rendered.reply_to),
        raw_header("Auto-Submitted", "auto-replied" if rendered.kind in ("ack", "reply") else "auto-generated"),
        raw_header("X-Auto-Response-Suppress", "All"),
        raw_header("X-Loop", settings.loop_id),
        *_reply_to(reply_token, settings),
        raw_header("List-Unsubscribe", f"<{opt_out}>, <mailto:{settings.from_address}?subject=unsubscribe>"),
        raw_header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        raw_header("MIME-Version", "1.0"),
        raw_header("Content-Type", 'text/plain; charset="utf-8"'),
        raw_header("Content-Transfer-Encoding", "quoted-printable"),
    ]
    # Quoted-printable, not base64: the text stays readable as sent, and spam filters score a plain-text body
    # hidden in base64 (SpamAssassin's MIME_BASE64_TEXT). The email package's encoder keeps every line within
    # 76 characters (quopri's lets one ending in an encoded space reach 77); it takes one character per byte.
    octets = body.replace("\r\n", "\n").encode("utf-8").decode("latin-1")
    encoded = quoprimime.body_encode(octets, maxlinelen=76, eol="\r\n")
    data = ("\r\n".join(lines) + "\r\n\r\n" + encoded).encode("ascii")
    return Composed(message_id=message_id, envelope_from=settings.from_address, data=data)


def _subject(rendered: Rendered, organisation: OrganisationSettings) -> str:
    """An acknowledgment keeps the customer's subject ("Re: …", plus the case reference) so every client threads it."""
    original = one_line(rendered.reply_to.get("subject", ""), 800)
    if rendered.kind != "ack" or not original:
        return one_line(rendered.subject or f"Your message to {organisation.name}", 900)
    subject = original if _REPLY_PREFIX.match(original) else f"Re: {original}"
    reference = rendered.meta.get("case_ref", "")
    return f"{subject} [{reference}]" if reference and reference not in subject else subject


def _threading(reply_to: dict[str, str]) -> list[str]:
    """In-Reply-To and References so the reply threads in every common client."""
    parent = reply_to.get("message_id", "").strip("<> ")
    references = [ref.strip("<>") for ref in reply_to.get("references", "").split()][-20:]
    if parent and parent not in references:
        references.append(parent)
    headers = [ids_header("In-Reply-To", [parent] if parent else []), ids_header("References", references)]
    return [header for header in headers if header]


def _reply_to(reply_token: str | None, settings: EmailSenderSettings) -> list[str]:
    """`reply+<token>@` so a customer's answer finds its case even without threading headers."""
    if reply_token is None:
        return []
    domain = settings.from_address.rpartition("@")[2]
    return [address_header("Reply-To", f"reply+{reply_token}@{domain}")]
