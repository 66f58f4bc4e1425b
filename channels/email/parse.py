"""Pure parsing of one RFC 5322 / MIME message (bytes in, `Message` out, no I/O).

Upstream: the stdlib `email` package with `policy.default`
(https://docs.python.org/3.11/library/email.html), guarded by
`channels.email.guard` before it sees the bytes. Anything beyond the guard's
limits or its time budget raises `MalformedPayloadError`, so intake keeps
the raw message quarantined and still opens an "unparsed" case.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

from channels.email.attachments import attachment_parts
from channels.email.body import body_text, clean
from channels.email.guard import Deadline, check_headers, parse_bounded, raw_headers, split_header_block
from channels.email.markers import delivery_report, header_values, mail_flags
from channels.email.threading import case_reference, subject_keys
from config.email import EmailParseLimits
from frontdesk.errors import MalformedPayloadError
from frontdesk.models import FLAG_BOUNCE, Contact, Message, RawInbound

SLUG = "email"
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,400})>")
_BARE_ID = re.compile(r"^[^<>\s]{1,400}$")
_WHITESPACE = re.compile(r"\s+")
_MAX_REFS = 50


@dataclass(frozen=True)
class ParseOptions:
    """What parsing needs besides the bytes: the guard's limits and our own loop marker."""

    limits: EmailParseLimits = EmailParseLimits()
    loop_id: str = "frontdesk@localhost"
    subject_window_days: int = 14


def message_ids(value: str) -> list[str]:
    """The `<id>` tokens of a Message-ID / In-Reply-To / References value, without brackets."""
    found = _MESSAGE_ID.findall(value)
    if not found and _BARE_ID.match(value.strip()):
        found = [value.strip()]
    return found


def external_id(body: bytes, limits: EmailParseLimits = EmailParseLimits()) -> str:
    """The message's provider id: its Message-ID, else a hash of its content.

    Transports call this before `accept`, so a re-delivery by SMTP or a
    re-fetch by IMAP yields the same idempotency key. Never raises.
    """
    try:
        block = split_header_block(body, limits)
    except MalformedPayloadError:
        return "sha256:" + hashlib.sha256(body).hexdigest()
    headers = raw_headers(block)
    for value in header_values(headers, "message-id"):
        ids = message_ids(value)
        if ids:
            # Raw header bytes came in as surrogate escapes: give back real UTF-8, U+FFFD for the rest.
            return ids[0].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    digest = hashlib.sha256()
    for name in ("from", "date", "subject"):
        digest.update("\0".join(header_values(headers, name)).encode("utf-8", "surrogateescape") + b"\n")
    digest.update(body[len(block):])
    return "sha256:" + digest.hexdigest()


def parse_email(raw: RawInbound, options: ParseOptions = ParseOptions()) -> Message:
    """Turn one raw email into a Message, or raise MalformedPayloadError (the raw is quarantined).

    `raw.meta["sender"]` is the envelope MAIL FROM when the transport knows it.
    """
    limits = options.limits
    deadline = Deadline(limits.max_seconds)
    headers = check_headers(split_header_block(raw.body, limits), limits)
    message = parse_bounded(raw.body, limits, deadline)
    envelope_sender = raw.meta.get("sender")
    address, name = sender_address(message, envelope_sender)
    content_types = {part.get_content_type() for part in message.walk()}
    flags = mail_flags(headers, content_types, address, envelope_sender, options.loop_id)
    own_ids = tuple(message_ids(_first(message, "message-id"))[:1])
    reply_to = _reply_to(message, address, own_ids, _thread_refs(message))
    sent_at = _sent_at(message, raw.received_at)
    thread_refs, subject_ids = _thread_keys(message, headers, flags, raw.meta, address, reply_to, sent_at, options)
    own_ids += subject_ids
    deadline.check("headers")
    text, quoted = body_text(message, limits.max_text_chars)
    deadline.check("body")
    return Message(
        id=raw.id,
        channel=SLUG,
        external_id=raw.external_id,
        sender=Contact(channel=SLUG, handle=address, name=name, email=address),
        text=text,
        quoted=quoted,
        subject=reply_to["subject"] or None,
        thread_refs=thread_refs,
        own_ids=own_ids,
        sent_at=sent_at,
        received_at=raw.received_at,
        attachments=tuple(attachment for attachment, _ in attachment_parts(message)),
        flags=flags,
        reply_to=reply_to,
    )


def _first(message: EmailMessage, name: str) -> str:
    """A header's value as text; a header the email package cannot parse reads as empty."""
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError, AttributeError, LookupError):
        return ""
    return clean(_WHITESPACE.sub(" ", str(value))).strip() if value is not None else ""


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str | None]]:
    """(lowercase addr-spec, display name) pairs from the parsed address objects of header `name`."""
    try:
        header = message.get(name)
        addresses = getattr(header, "addresses", ()) if header is not None else ()
    except (ValueError, IndexError, TypeError, AttributeError, LookupError):
        return []
    found = []
    for address in addresses:
        spec = clean(address.addr_spec or "").strip().lower()
        if address.username and address.domain and " " not in spec and len(spec) <= 320:
            found.append((spec, clean(address.display_name).strip()[:256] or None))
    return found


def sender_address(message: EmailMessage, envelope_sender: str | None) -> tuple[str, str | None]:
    """The author's address from From (then Sender, then the envelope); never from a display name."""
    for name in ("from", "sender"):
        found = _addresses(message, name)
        if found:
            return found[0]
    if envelope_sender and "@" in envelope_sender:
        return envelope_sender.strip().lower(), None
    raise MalformedPayloadError("no sender address in From, Sender or the envelope", field="from")


def _thread_refs(message: EmailMessage) -> tuple[str, ...]:
    """In-Reply-To first, then References from the nearest ancestor back, without repeats."""
    references = message_ids(_first(message, "references"))
    ordered = message_ids(_first(message, "in-reply-to")) + list(reversed(references))
    return tuple(dict.fromkeys(ordered))[:_MAX_REFS]


def _thread_keys(message: EmailMessage, headers, flags: frozenset[str], meta: dict[str, str], sender: str,
                 reply_to: dict[str, str], sent_at: datetime,
                 options: ParseOptions) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`thread_refs` in the order the router tries them, and the subject key to register as an own id.

    Our verified reply token first, then a case reference in the subject, the In-Reply-To / References
    ids, the subject keys last (see channels.email.threading). A bounce or report instead puts the
    Message-ID it reports on first and its fields into `reply_to`, so it lands on that mail's case.
    """
    references = _thread_refs(message)
    token = [f"case:{meta['reply_case']}"] if meta.get("reply_case", "").isdigit() else []
    if FLAG_BOUNCE in flags:
        report = delivery_report(message, headers)
        reply_to.update({f"report_{key}": value for key, value in report.items()})
        reported = [report["message_id"]] if report.get("message_id") else []
        return tuple(dict.fromkeys((*token, *reported, *references))), ()
    reference = case_reference(reply_to["subject"])
    hints = token + ([f"case-ref:{reference}"] if reference is not None else [])
    subject_ids = subject_keys(sender, reply_to["subject"], sent_at, options.subject_window_days) or ()
    return tuple(dict.fromkeys((*hints, *references, *subject_ids))), tuple(subject_ids[:1])


def _reply_to(message: EmailMessage, address: str, own_ids: tuple[str, ...], refs: tuple[str, ...]) -> dict[str, str]:
    """What an acknowledgment needs to land in this thread."""
    reply_address = (_addresses(message, "reply-to") or [(address, None)])[0][0]
    history = list(reversed(refs))[-20:] + list(own_ids)
    return {
        "address": reply_address,
        "message_id": own_ids[0] if own_ids else "",
        "references": " ".join(dict.fromkeys(history)),
        "subject": _first(message, "subject")[:998],
    }


def _sent_at(message: EmailMessage, received_at: datetime) -> datetime:
    try:
        sent = parsedate_to_datetime(_first(message, "date"))
    except (TypeError, ValueError, IndexError, OverflowError):
        return received_at
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=timezone.utc)
    return sent
