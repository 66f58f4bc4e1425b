"""What kind of mail this is: auto-submitted, bulk, a bounce or delivery report, or our own.

Sources: RFC 3834 (Auto-Submitted, answering only a non-empty return path),
RFC 2369 / 2919 (List-*), RFC 3464 (DSN), RFC 5965 (ARF), RFC 8098 (MDN),
Microsoft's X-Auto-Response-Suppress, and the X-Loop convention.
"""

from __future__ import annotations

import re
from email.message import Message

from frontdesk.models import FLAG_AUTO_SUBMITTED, FLAG_BOUNCE, FLAG_BULK, FLAG_OWN

_BULK_PRECEDENCE = {"bulk", "list", "junk"}
_SUPPRESS = re.compile(r"\b(all|autoreply)\b", re.IGNORECASE)
_NOREPLY = re.compile(r"^(no-?reply|do-?not-?reply|donotreply|noreply[.+_-].*|no[._-]reply)$", re.IGNORECASE)
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)$", re.IGNORECASE)
_REPORT_TYPES = {"delivery-status", "feedback-report", "disposition-notification"}
_MESSAGE_ID_LINE = re.compile(r"^message-id:\s*<([^<>\s]{1,400})>", re.IGNORECASE | re.MULTILINE)


def header_values(headers: list[tuple[str, str]], name: str) -> list[str]:
    """Every raw value of header `name` (lowercase), in order."""
    return [value for key, value in headers if key == name]


def mail_flags(
    headers: list[tuple[str, str]],
    content_types: set[str],
    sender_address: str,
    envelope_sender: str | None,
    loop_id: str,
) -> frozenset[str]:
    """The frontdesk.models flags this mail carries.

    `content_types` are all content types in the message, `envelope_sender`
    the SMTP MAIL FROM (None when unknown, "" for the null sender `<>`).
    """
    flags: set[str] = set()
    first = {name: value.strip().lower() for name, value in reversed(headers)}
    auto = first.get("auto-submitted", "no")
    if auto and not auto.startswith("no"):
        flags.add(FLAG_AUTO_SUBMITTED)
    precedence = first.get("precedence", "")
    if precedence in _BULK_PRECEDENCE:
        flags.add(FLAG_BULK)
    if precedence == "auto_reply" or "x-autoreply" in first or "x-autorespond" in first:
        flags.add(FLAG_AUTO_SUBMITTED)
    if _SUPPRESS.search(first.get("x-auto-response-suppress", "")):
        flags.add(FLAG_AUTO_SUBMITTED)
    if "list-id" in first or "list-unsubscribe" in first:
        flags.add(FLAG_BULK)
    local_part = sender_address.rpartition("@")[0]
    if _NOREPLY.match(local_part):
        flags.add(FLAG_AUTO_SUBMITTED)
    if _is_report(headers, content_types, local_part, envelope_sender):
        flags.add(FLAG_BOUNCE)
    if any(loop_id.lower() in value.lower() for value in header_values(headers, "x-loop")):
        flags.add(FLAG_OWN)
    return frozenset(flags)


def _is_report(headers, content_types: set[str], local_part: str, envelope_sender: str | None) -> bool:
    return_paths = [value.strip() for value in header_values(headers, "return-path")]
    return bool(
        envelope_sender == ""
        or "<>" in return_paths
        or header_values(headers, "x-failed-recipients")
        or _DAEMON.match(local_part)
        or any(kind.removeprefix("message/") in _REPORT_TYPES for kind in content_types)
    )


def delivery_report(message: Message, headers: list[tuple[str, str]]) -> dict[str, str]:
    """What a bounce or delivery report says: the original Message-ID, recipients, action and status."""
    report: dict[str, str] = {}
    recipients = [value for value in header_values(headers, "x-failed-recipients")]
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            recipients += _status_fields(part, report)
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers") and "message_id" not in report:
            original = _original_message_id(part)
            if original:
                report["message_id"] = original
    if "message_id" not in report:
        match = _MESSAGE_ID_LINE.search(_plain_text(message))
        if match:
            report["message_id"] = match.group(1)
    if recipients:
        report["recipients"] = " ".join(dict.fromkeys(address.strip() for address in recipients))[:2000]
    # Values may hold raw header bytes as surrogate escapes: give back real UTF-8, U+FFFD for the rest.
    return {key: value.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for key, value in report.items()}


def _status_fields(part: Message, report: dict[str, str]) -> list[str]:
    recipients = []
    blocks = part.get_payload()
    for block in blocks if isinstance(blocks, list) else []:
        final = str(block.get("final-recipient", "") or "")
        if final:
            recipients.append(final.rpartition(";")[2].strip())
        for field in ("action", "status"):
            if block.get(field) and field not in report:
                report[field] = str(block.get(field)).strip().lower()[:64]
    return recipients


def _original_message_id(part: Message) -> str | None:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        original = payload[0] if isinstance(payload, list) and payload else None
        value = str(original.get("message-id", "") or "") if original is not None else ""
    else:
        match = _MESSAGE_ID_LINE.search(_plain_text(part))
        value = f"<{match.group(1)}>" if match else ""
    match = re.search(r"<([^<>\s]{1,400})>", value)
    return match.group(1) if match else None


def _plain_text(part: Message) -> str:
    payload = part.get_payload(decode=True) if not part.is_multipart() else None
    if isinstance(payload, bytes):
        return payload[:256 * 1024].decode("utf-8", errors="replace")
    for child in part.walk():
        if child.get_content_type() == "text/plain" and child is not part:
            return _plain_text(child)
    return ""
