"""Attachments of an email: metadata for the Message, bytes for the data directory.

Bytes are stored content-addressed (`attachments/email/<sha256>`), sealed
with the data keys (frontdesk.privacy.vault), with no original name, no
execute bit, and never unpacked or opened.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from email.message import EmailMessage, Message
from pathlib import Path

from frontdesk.models import Attachment
from frontdesk.privacy.vault import Vault

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


def _is_attachment(part: Message, body: Message | None) -> bool:
    if part.is_multipart() or part is body:
        return False
    if part.get_content_disposition() == "attachment" or part.get_filename():
        return True
    return part.get_content_maintype() not in ("text", "multipart", "message")


def safe_filename(name: str | None, fallback: str) -> str:
    """A display name for an attachment: no path, no control characters, at most 255 characters."""
    cleaned = _UNSAFE_NAME.sub("_", str(name or "")).strip(" .")
    return (cleaned or fallback)[:255].encode("utf-8", errors="replace").decode("utf-8")


def attachment_parts(message: EmailMessage) -> Iterator[tuple[Attachment, bytes]]:
    """Every attachment with its decoded bytes (the MIME tree was already bounded by the guard)."""
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, IndexError, AttributeError):
        body = None
    for index, part in enumerate(message.walk()):
        if not _is_attachment(part, body):
            continue
        try:
            payload = part.get_payload(decode=True)
            filename = part.get_filename()
        except (ValueError, LookupError, TypeError, IndexError):
            continue
        if not isinstance(payload, bytes):
            continue
        yield Attachment(
            filename=safe_filename(filename, f"part-{index}"),
            content_type=part.get_content_type()[:128],
            size=len(payload),
            sha256=hashlib.sha256(payload).hexdigest(),
        ), payload


def store_attachments(message: EmailMessage, vault: Vault) -> list[Path]:
    """Write each attachment's bytes once, sealed with the data keys, as `attachments/email/<sha256>` in the vault;
    return their paths."""
    return [vault.put("email", attachment.sha256, payload) for attachment, payload in attachment_parts(message)]
