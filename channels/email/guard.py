"""Limits checked before and while the stdlib `email` package parses a message.

Python 3.11's `email` parser is slow or worse on hostile input (huge
headers, deep nesting, thousands of parts), so a message beyond these
limits never reaches it whole: `MalformedPayloadError` is raised, and the
raw bytes are quarantined by intake.
"""

from __future__ import annotations

import re
import time
from email import policy
from email.feedparser import BytesFeedParser
from email.message import EmailMessage
from email.utils import getaddresses

from config.email import EmailParseLimits
from frontdesk.errors import MalformedPayloadError

ADDRESS_HEADERS = frozenset({
    "from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-sender", "resent-to",
    "resent-cc", "resent-bcc", "return-path", "delivered-to", "x-original-to",
})
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FEED_CHUNK = 64 * 1024
_CONTENT_TYPE_LINE = re.compile(rb"^content-type:", re.IGNORECASE | re.MULTILINE)


class Deadline:
    """A parse-time budget in CPU seconds of this thread; `check` raises MalformedPayloadError once it is spent.

    CPU time, not wall time: a busy machine must not quarantine an ordinary message,
    while a message that makes the parser burn CPU is still stopped.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._until = time.thread_time() + seconds

    def check(self, stage: str) -> None:
        """Raise when the budget is spent, naming the stage that was reached."""
        if time.thread_time() > self._until:
            raise MalformedPayloadError(f"parse took longer than {self.seconds:g}s (at {stage})")


def split_header_block(body: bytes, limits: EmailParseLimits) -> bytes:
    """The raw header block; MalformedPayloadError when it is over the size limit."""
    match = _HEADER_END.search(body, 0, limits.max_header_block_bytes + 4)
    block = body[: match.start()] if match else body
    if len(block) > limits.max_header_block_bytes:
        raise MalformedPayloadError(
            f"header block over {limits.max_header_block_bytes} bytes", field="headers")
    return block


def raw_headers(block: bytes) -> list[tuple[str, str]]:
    """Unfolded (lowercase name, value) pairs of a raw header block, in order."""
    headers: list[tuple[str, str]] = []
    for line in block.decode("ascii", errors="surrogateescape").splitlines():
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
        elif ":" in line:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
    return headers


def check_headers(block: bytes, limits: EmailParseLimits) -> list[tuple[str, str]]:
    """Refuse any one header over the size limit or naming too many addresses; return the headers."""
    headers = raw_headers(block)
    for name, value in headers:
        if len(name) + len(value) > limits.max_header_bytes:
            raise MalformedPayloadError(f"header {name!r} over {limits.max_header_bytes} bytes", field=name)
        if name in ADDRESS_HEADERS and value.count("@") > limits.max_addresses:
            if len(getaddresses([value])) > limits.max_addresses:
                raise MalformedPayloadError(f"header {name!r} names over {limits.max_addresses} addresses", field=name)
    return headers


def parse_bounded(body: bytes, limits: EmailParseLimits, deadline: Deadline) -> EmailMessage:
    """Parse with `policy.default`, checking the deadline between chunks and the tree's shape after."""
    # Every part has at most one Content-Type line; text quoting such lines makes this count high,
    # hence the margin. It refuses "endless" nesting before the slow parse starts.
    if len(_CONTENT_TYPE_LINE.findall(body)) > 2 * limits.max_parts:
        raise MalformedPayloadError(f"more than {limits.max_parts} MIME parts", field="content-type")
    parser = BytesFeedParser(policy=policy.default)
    try:
        for start in range(0, len(body), _FEED_CHUNK):
            parser.feed(body[start:start + _FEED_CHUNK])
            deadline.check("mime parse")
        message = parser.close()
    except RecursionError:
        raise MalformedPayloadError("MIME nesting too deep for the parser", field="content-type") from None
    check_structure(message, limits, deadline)
    return message


def check_structure(message: EmailMessage, limits: EmailParseLimits, deadline: Deadline) -> int:
    """Walk the MIME tree without recursion; refuse too deep or too many parts. Returns the part count."""
    stack = [(message, 0)]
    parts = 0
    while stack:
        part, depth = stack.pop()
        parts += 1
        if depth > limits.max_depth:
            raise MalformedPayloadError(f"MIME nesting deeper than {limits.max_depth}", field="content-type")
        if parts > limits.max_parts:
            raise MalformedPayloadError(f"more than {limits.max_parts} MIME parts", field="content-type")
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if hasattr(child, "get_payload"))
        if parts % 50 == 0:
            deadline.check("structure")
    return parts
