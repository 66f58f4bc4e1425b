"""Quoted text: fingerprints of the lines a message writes and of the lines a reply quotes from earlier ones.

A message leaves fingerprints of its own lines as thread keys of its case; a
later reply whose quoted lines hit them continues that case
(router/threading.py). Lines are compared after folding case, whitespace and
punctuation, so a quote that another client re-encoded (typographic quotes,
trailing spaces, a changed bullet) still matches. Quoted means marked with
">" at any depth, or written below a reply header that top-posting clients
put in place of marks: "-----Original Message-----", a "From: … / Sent: …"
block, or an "On <date>, <someone> wrote:" line followed by unmarked text.

Of a long message, the first and last few lines are kept, and of the lines
between, those whose fingerprint falls in one bucket of SAMPLE: the line
itself decides, so the original and a reply that quotes any stretch of it
keep the same lines. Lines that tools write alike in many messages (diff
headers, diffstat summaries, sign-offs, greetings) are never fingerprints.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

LINE_KEY = "line:"
MIN_LINE = 24
OWN_LINES = 6
SAMPLE = 4
MAX_OWN = 48
MAX_QUOTED = 40
_QUOTE_MARKS = re.compile(r"^(?:\s*>)+\s?")
_NOT_WORD = re.compile(r"[\W_]+")
_NOISE_LINE = re.compile(
    r"^(?:signed-off-by|acked-by|reviewed-by|cc|to|from|sent|date|subject|tested-by|reported-by)\s*:"
    r"|^(?:on\s.*wrote|sent from my|get outlook|--\s*$|thanks|regards|best|cheers)"
    r"|^(?:diff --git |index [0-9a-f]{5,}\.\.|--- a/|\+\+\+ b/|@@ |\d+ files? changed)",
    re.IGNORECASE,
)
# Reply headers of top-posting clients, in the languages of router/threading.py's subject prefixes.
_HISTORY_HEADER = re.compile(
    r"^\s*-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original"
    r"|messaggio originale|oorspronkelijk bericht|originalmeddelande|oprindelig meddelelse|mensagem original"
    r"|wiadomość oryginalna|原始邮件|原始郵件)\s*-{2,}\s*$"
    r"|^\s*_{10,}\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|von|de|da|van|från|fra|od|发件人)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_SENT = re.compile(r"^\s*\*?(?:sent|date|gesendet|datum|envoyé|enviado|fecha|inviato|data|verzonden"
                          r"|skickat|sendt|wysłano|发送时间)\s*:", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"(?:\bwrote|\bschrieb|a écrit|escribió|ha scritto|\bschreef|\bskrev|napisał|написал)\b"
                          r".{0,120}:\s*$", re.IGNORECASE)
# An attribution names a time, a year or an address; "I wrote to you about this:" does not.
_ATTRIBUTION_HINT = re.compile(r"@|\d{1,2}:\d{2}|\b(?:19|20)\d{2}\b")


def fingerprint(line: str) -> str | None:
    """The thread key of one line, folded; None for a short or boilerplate line."""
    text = " ".join(line.split()).casefold()
    if _NOISE_LINE.match(text):
        return None
    folded = _NOT_WORD.sub(" ", text).strip()
    if len(folded) < MIN_LINE:
        return None
    return LINE_KEY + hashlib.blake2b(folded.encode("utf-8", "replace"), digest_size=10).hexdigest()


def split_quoted(text: str) -> tuple[list[str], list[str]]:
    """(the lines the author wrote, the lines quoted from earlier messages, without their marks)."""
    lines = text.splitlines()
    own: list[str] = []
    quoted: list[str] = []
    for number, line in enumerate(lines):
        marks = _QUOTE_MARKS.match(line)
        if marks:
            quoted.append(line[marks.end():])
        elif _starts_history(lines, number):
            quoted.extend(_QUOTE_MARKS.sub("", rest) for rest in lines[number + 1:])
            break
        else:
            own.append(line)
    return own, quoted


def _starts_history(lines: list[str], number: int) -> bool:
    """Whether everything below line `number` is history a top-posting client appended."""
    line = lines[number]
    if _HISTORY_HEADER.match(line):
        return True
    if _HEADER_FROM.match(line):
        return any(_HEADER_SENT.match(below) for below in lines[number + 1:number + 4])
    if _ATTRIBUTION.search(line) and _ATTRIBUTION_HINT.search(line):
        below = next((text for text in lines[number + 1:] if text.strip()), "")
        return bool(below) and not _QUOTE_MARKS.match(below)
    return False


def own_line_keys(text: str) -> list[str]:
    """Fingerprints of the lines the author wrote: the first and last few, and the sampled ones between."""
    keys = _distinct_keys(split_quoted(text)[0], limit=None)
    if len(keys) <= 2 * OWN_LINES:
        return keys
    middle = [key for key in keys[OWN_LINES:-OWN_LINES] if _sampled(key)]
    return keys[:OWN_LINES] + middle[:MAX_OWN - 2 * OWN_LINES] + keys[-OWN_LINES:]


# A worker asks for a message's quoted lines when it reads a batch ahead and again when it routes it, inside
# the write transaction: the second time costs nothing.
@lru_cache(maxsize=1024)
def quoted_line_keys(text: str, history: str = "") -> tuple[str, ...]:
    """Fingerprints of the lines a message quotes in its text, then of the history its channel removed from
    the text (`Message.quoted`, every line of it quoted); at most MAX_QUOTED."""
    removed = [_QUOTE_MARKS.sub("", line) for line in history.splitlines()]
    return tuple(_distinct_keys(split_quoted(text)[1] + removed, limit=MAX_QUOTED))


def _distinct_keys(lines: list[str], limit: int | None) -> list[str]:
    keys: list[str] = []
    for line in lines:
        key = fingerprint(line)
        if key and key not in keys:
            keys.append(key)
            if len(keys) == limit:
                break
    return keys


def _sampled(key: str) -> bool:
    return int(key[len(LINE_KEY):len(LINE_KEY) + 4], 16) % SAMPLE == 0
