"""Thread hints of an email beyond its Message-ID references, as keys the router understands.

- `case:<id>`: a reply to one of our mails, proven by our HMAC reply token in
  a `reply+<token>@` recipient or in one of our Message-IDs it references
  (checked at intake, where the secret is; `meta["reply_case"]` carries it).
- `case-ref:<id>`: a case reference (`FD-000042`) in the subject; the router
  accepts it only when the case is the sender's own.
- `subject:<hash>`: the normalised subject from this sender in this time
  bucket (and the one before), registered on the case as one of the
  message's own ids, so "same subject from the same person within N days"
  is a plain thread-key lookup.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from config.email import TokenCodec

_TOKEN = r"[a-z2-7]{29}"
_REPLY_ADDRESS = re.compile(rf"\breply\+({_TOKEN})@", re.IGNORECASE)
_OWN_MESSAGE_ID = re.compile(rf"<fd\.({_TOKEN})\.[0-9a-f]+@", re.IGNORECASE)
_CASE_REFERENCE = re.compile(r"\bFD-(\d{1,12})\b")
_BRACKETED_REFERENCE = re.compile(r"\[\s*FD-\d{1,12}\s*\]")
_PREFIXES = re.compile(r"^\s*((re|fwd?|aw|wg|sv|vs|antw|odp|tr|r|rv)\s*(\[\d+\])?\s*:\s*|\[[^\]]{0,64}\]\s*)+",
                       re.IGNORECASE)


def reply_case(codec: TokenCodec, header_text: str, recipients: list[str], body_text: str = "") -> int | None:
    """The case a genuine reply token names, from recipients or our referenced Message-IDs; else None.

    `body_text` is searched for our Message-IDs only: a bounce quotes the headers of the mail it returns.
    """
    found = (_REPLY_ADDRESS.findall(" ".join(recipients) + " " + header_text)
             + _OWN_MESSAGE_ID.findall(header_text + "\n" + body_text))
    for token in found:
        case_id = codec.read_reply_token(token)
        if case_id is not None:
            return case_id
    return None


def normalised_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, list tags or case references, case- and space-folded."""
    without = _CASE_REFERENCE.sub(" ", _BRACKETED_REFERENCE.sub(" ", _PREFIXES.sub("", subject or "")))
    return " ".join(without.split()).casefold()


def case_reference(subject: str) -> int | None:
    """The case id of an `FD-000042` reference in the subject, if any."""
    match = _CASE_REFERENCE.search(subject or "")
    return int(match.group(1)) if match else None


def subject_keys(handle: str, subject: str, sent_at: datetime, window_days: int) -> tuple[str, str] | None:
    """(key of this time bucket, key of the bucket before) for this sender and subject; None without a subject."""
    normal = normalised_subject(subject)
    if len(normal) < 3:
        return None
    bucket = int(sent_at.timestamp() // (max(1, window_days) * 86400))
    return tuple(  # type: ignore[return-value]
        "subject:" + hashlib.sha256(f"{handle}\0{normal}\0{number}".encode()).hexdigest()[:32]
        for number in (bucket, bucket - 1)
    )
