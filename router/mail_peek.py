"""The first words of a raw mail, found with byte searches instead of the email parser.

Intake's urgent screen (router/priority.py) reads every payload in the
server's one event loop, before anything is parsed; the email package would
cost more there than the rest of the screen, and on this Python it must be
bounded before it is trusted with hostile input. What is read here is a hint
only, so it is approximate by design: it follows the first part of up to
MIME_LEVELS nested multiparts (the text/plain of multipart/alternative, the
body of multipart/mixed), decodes that part's base64 or quoted-printable in
its charset, and decodes RFC 2047 encoded words in a bounded Subject. An
HTML part is read further (HTML_BYTES) and its words are taken out of the
markup: a mail written only in HTML often spends its first KiB on styles.
"""

from __future__ import annotations

import binascii
import html
import re
import string
from email.errors import HeaderParseError
from email.header import decode_header
from typing import NamedTuple

HEADER_BYTES = 64 * 1024  # of a mail or a part, searched for the end of its header block
SUBJECT_BYTES = 1024  # decoded as RFC 2047 words; a longer Subject is read as it is
MIME_LEVELS = 4  # multipart/mixed > multipart/related > multipart/alternative > text/plain
BASE64_PER_CHAR = 4 / 3  # bytes of base64 text per decoded byte
HTML_BYTES = 16 * 1024  # of an HTML part, before its markup is taken out
# Elements whose content is no words of the message; cut by str.find, so a missing end costs one pass.
_ENDS = {"<head": "</head>", "<style": "</style>", "<script": "</script>", "<!--": "-->"}
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_TAG_END = frozenset((">", "/", " ", "\t", "\r", "\n"))
_TAG = re.compile(r"<[^<>]{0,2000}>")
_SPACE = re.compile(r"\s+")


class _Headers(NamedTuple):
    """A header block with a leading newline (so every name is found as b"\\nname:"), CRLF read as LF, and
    the same bytes lowered, offset for offset."""

    text: bytes
    lowered: bytes

    def value(self, name: bytes) -> bytes:
        """A header's value, its folded lines joined, stripped, in its own case ("" when absent)."""
        found = self.lowered.find(b"\n" + name + b":")
        if found < 0:
            return b""
        start = stop = found + len(name) + 2
        while True:
            stop = self.text.find(b"\n", stop)
            if stop < 0 or self.text[stop + 1:stop + 2] not in (b" ", b"\t"):
                break
            stop += 1
        return b" ".join(self.text[start:len(self.text) if stop < 0 else stop].split())


def mail_words(body: bytes, chars: int) -> str:
    """A raw mail's Subject, a newline, then about the first `chars` characters of its first text part."""
    start, headers = _header_block(body, 0)
    subject = _subject(headers.value(b"subject"))
    for _ in range(MIME_LEVELS):
        if not headers.value(b"content-type").lower().startswith(b"multipart/"):
            break
        part = _first_part(body, start)
        if part is None:
            break
        start, headers = _header_block(body, part)
    if headers.value(b"content-type").lower().startswith(b"text/html"):
        return subject + "\n" + html_words(_decoded(body, start, headers, HTML_BYTES))[:chars]
    return subject + "\n" + _decoded(body, start, headers, chars * 4).lstrip()[:chars]


def html_words(markup: str) -> str:
    """The words of a piece of HTML: head, styles, scripts, comments and tags dropped, entities read,
    spaces collapsed. Linear in its length: no pattern here can backtrack over the whole text."""
    kept: list[str] = []
    lowered = markup.translate(_ASCII_LOWER)  # str.lower() may lengthen a text ("İ"), and positions must line up
    upcoming = {start: _element(lowered, start, 0) for start in _ENDS}  # each searched again only once passed
    position = 0
    while position < len(markup):
        for start, found in upcoming.items():
            if 0 <= found < position:
                upcoming[start] = _element(lowered, start, position)
        found, start = min(((found, start) for start, found in upcoming.items() if found >= 0),
                           default=(len(markup), ""))
        kept.append(markup[position:found])
        if not start:
            break
        closed = lowered.find(_ENDS[start], found)
        position = len(markup) if closed < 0 else closed + len(_ENDS[start])
    text = _TAG.sub(" ", " ".join(kept))
    return _SPACE.sub(" ", html.unescape(text)).strip()


def _element(lowered: str, start: str, position: int) -> int:
    """Where the next `start` ("<head", "<!--") begins from `position` as a whole tag name (not "<header"),
    or -1."""
    found = lowered.find(start, position)
    while found >= 0 and start[1] != "!" and lowered[found + len(start):found + len(start) + 1] not in _TAG_END:
        found = lowered.find(start, found + 1)
    return found


def _header_block(body: bytes, start: int) -> tuple[int, _Headers]:
    """Where the content after the header block at `start` begins, and that block."""
    head = body[start:start + HEADER_BYTES]
    if head.startswith((b"\n", b"\r\n")):  # a part with no headers of its own
        return start + head.index(b"\n") + 1, _Headers(b"\n", b"\n")
    ends = [(found, size) for found, size in ((head.find(b"\n\n"), 2), (head.find(b"\r\n\r\n"), 4)) if found >= 0]
    end, size = min(ends, default=(len(head), 0))
    text = b"\n" + head[:end].replace(b"\r\n", b"\n")
    return start + end + size, _Headers(text, text.lower())


def _subject(raw: bytes) -> str:
    """A Subject with its RFC 2047 encoded words decoded, each in its charset (UTF-8 when that is unknown)."""
    text = raw.decode("utf-8", "replace")
    if b"=?" not in raw or len(raw) > SUBJECT_BYTES:
        return text
    try:
        pieces = decode_header(text)
    except (HeaderParseError, ValueError):
        return text
    return "".join(piece if isinstance(piece, str) else _text(piece, charset) for piece, charset in pieces)


def _first_part(body: bytes, start: int) -> int | None:
    """Where the first part's header block begins: after the first boundary line ("--…") from `start`."""
    if body.startswith(b"--", start):
        found = start
    else:  # after a preamble, searched as far as a header block
        found = body.find(b"\n--", start, start + HEADER_BYTES)
        if found < 0:
            return None
        found += 1
    line_end = body.find(b"\n", found, found + HEADER_BYTES)
    return line_end + 1 if line_end >= 0 else None


def _decoded(body: bytes, start: int, headers: _Headers, size: int) -> str:
    """About `size` bytes of content from `start`, decoded by the part's transfer encoding and charset."""
    encoding = headers.value(b"content-transfer-encoding").lower()
    if encoding == b"base64":
        text = b"".join(body[start:start + int(size * BASE64_PER_CHAR) + 4].split())
        try:
            data = binascii.a2b_base64(text[:len(text) - len(text) % 4])
        except binascii.Error:
            data = text
    elif encoding == b"quoted-printable":
        data = binascii.a2b_qp(body[start:start + size])
    else:
        data = body[start:start + size]
    content_type = headers.value(b"content-type").lower()
    found = content_type.find(b"charset=")
    charset = content_type[found + len(b"charset="):].split(b";")[0].strip(b" \"'") if found >= 0 else b""
    return _text(data, charset.decode("ascii", "replace"))


def _text(data: bytes, charset: str | None) -> str:
    """`data` read in `charset`, or as UTF-8 when that names no text encoding ("base64", "no-such")."""
    try:
        return data.decode(charset or "utf-8", "replace")
    except LookupError:
        return data.decode("utf-8", "replace")
