"""The readable text of an email: the preferred body part, decoded, HTML turned to text, history removed.

HTML to text is inscriptis (Apache-2.0, keeps block layout so reply headers
stay on their own lines); quoted history and signatures are removed by
mail-parser-reply (MIT; knows the "On … wrote:" / "-----Original Message-----"
forms of many clients in 13 languages), after our own pass that drops
`>`-quoted lines and the attribution line above them, which it leaves in
bottom-posted replies.
"""

from __future__ import annotations

import codecs
import re
from email.message import EmailMessage, Message

from inscriptis import get_text
from lxml.etree import ParserError
from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

_LANGUAGES = sorted(MAIL_LANGUAGES)
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_ATTRIBUTION_HINT = re.compile(r"@|\d{1,4}[./:-]\d{1,2}")
# Reply-stripping regexes scan the text several times; past this size only the head is searched.
_REPLY_SCAN_CHARS = 64 * 1024
# The router fingerprints at most a few dozen quoted lines (router/quoted.py); more history is not handed over.
HISTORY_CHARS = 16 * 1024


def clean(text: str) -> str:
    """Replace lone surrogates (undecodable bytes kept by the email package) with U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def decode_part(part: Message) -> str:
    """A leaf part's text; unknown or lying charsets decode with replacement, never raise."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return clean(str(part.get_payload()))
    charset = part.get_content_charset() or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    try:
        return clean(payload.decode(charset, errors="replace"))
    except (LookupError, TypeError, ValueError):
        return clean(payload.decode("utf-8", errors="replace"))


def html_to_text(html: str) -> str:
    """Plain text of an HTML body (no script or style content, links as their text)."""
    if not html.strip():
        return ""
    try:
        return get_text(html)
    except (ParserError, ValueError):
        return re.sub(r"<[^>]*>", " ", html)


def body_text(message: EmailMessage, max_chars: int) -> tuple[str, str]:
    """The message's own words (text/plain preferred, else HTML as text; history and signature removed), and
    the start of the history removed from them, for threading."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, IndexError, AttributeError):
        part = None
    if part is None:
        return "", ""
    text = decode_part(part)[: max_chars * 4]
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    latest, history = strip_history(text)
    return latest[:max_chars], history[:HISTORY_CHARS]


def strip_history(text: str) -> tuple[str, str]:
    """(the text without quoted lines, reply headers with what follows them, and the signature; what was removed
    of quoted lines and earlier messages)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, quoted = _drop_quoted_lines(text)
    head, tail = text[:_REPLY_SCAN_CHARS], text[_REPLY_SCAN_CHARS:]
    reply = EmailReplyParser(languages=_LANGUAGES).read(head)
    latest = reply.replies[0].body if reply.replies else head
    if len(reply.replies) <= 1 and tail:
        latest += tail
    return latest.strip(), "\n".join(quoted + [earlier.content for earlier in reply.replies[1:]])


def _drop_quoted_lines(text: str) -> tuple[str, list[str]]:
    kept: list[str] = []
    quoted: list[str] = []
    in_quote = False
    for line in text.split("\n"):
        if line.lstrip().startswith(">"):
            if not in_quote:
                _drop_attribution(kept)
            in_quote = True
            quoted.append(line)
            continue
        in_quote = False
        kept.append(line)
    return "\n".join(kept), quoted


def _drop_attribution(kept: list[str]) -> None:
    """Remove an "On <date>, <someone> wrote:" line (possibly wrapped) just above a quote."""
    end = len(kept)
    while end and not kept[end - 1].strip():
        end -= 1
    if not end or not kept[end - 1].rstrip().endswith(":"):
        return
    start = end - 1
    while start and kept[start - 1].strip() and end - start < 3 and _ATTRIBUTION_HINT.search(kept[start - 1]):
        start -= 1
    if _ATTRIBUTION_HINT.search(" ".join(kept[start:end])):
        del kept[start:]
