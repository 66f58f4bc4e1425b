"""One redaction filter for all logging: no message bodies, email addresses, phone numbers or handles,
and no forged lines.

`install_log_redaction()` wraps the log record factory, so every record of
every logger (ours, RQ's, aiohttp's, whatever handler prints it) is rewritten
once, as it is made: the message is rendered with its arguments, fields that
carry message content (`text=…`, `"body": …`, `subject: …`) lose their value,
email addresses, phone numbers and @handles become redaction markers, and CR, LF
and other control or line-separator characters are escaped so a subject
cannot start a fake log line. Tracebacks get the same treatment, one
indented line per traceback line. Loggers of libraries that print request
or message bodies at DEBUG or INFO are raised to WARNING.
"""

from __future__ import annotations

import logging
import re
import traceback

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
HANDLE = re.compile(r"(?<![\w@/])@[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}(?:@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)?")
PHONE = re.compile(r"(?<![\w.:/])\+?\(?\d[\d\s().\-]{6,}\d(?![\w])")
CONTENT_FIELD = re.compile(
    r"""(?P<key>["']?\b(?:text|body|subject|content|message_text|excerpt|name|sender_name|email|handle|phone|
    address|from|to|reply_to|sent_text)\b["']?\s*[:=]\s*)
    (?P<value>"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[^\s,;)}\]]+)""",
    re.IGNORECASE | re.VERBOSE,
)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u0085\u2028\u2029]")
# Libraries that log request or message bodies below WARNING.
BODY_LOGGERS = (
    "aiohttp.access", "aiohttp.client", "aiohttp.server", "aiohttp.web", "urllib3", "requests", "requests_oauthlib",
    "oauthlib", "slack_sdk", "slack_bolt", "tweepy", "mastodon", "apprise", "imapclient", "mail.log", "aiosmtpd",
    "httpx", "httpcore", "sqlalchemy.engine", "rq.job", "websockets",
)
_MARK = "_frontdesk_redacted"
_original_factory = None


def _phone(match: re.Match) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "<phone>" if digits >= 9 and not DATE.search(match.group(0)) else match.group(0)


def _control(match: re.Match) -> str:
    return {"\n": "\\n", "\r": "\\r"}.get(match.group(0), f"\\x{ord(match.group(0)):02x}" if ord(match.group(0)) < 256
                                         else f"\\u{ord(match.group(0)):04x}")


def redact(text: str) -> str:
    """The text with content fields, emails, phone numbers and handles replaced, control characters escaped."""
    text = CONTENT_FIELD.sub(lambda match: match.group("key") + "<redacted>", text)
    text = HANDLE.sub("<handle>", text)
    text = EMAIL.sub("<email>", text)
    text = PHONE.sub(_phone, text)
    return CONTROL.sub(_control, text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and traceback) in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _MARK, False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record: keep the template only
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _indented(traceback.format_exception(*record.exc_info))
        elif record.exc_text:
            record.exc_text = _indented([record.exc_text])
        if record.stack_info:
            record.stack_info = _indented([record.stack_info])
        setattr(record, _MARK, True)
        return True


def _indented(chunks: list[str]) -> str:
    lines = "".join(chunks).rstrip("\n").split("\n")
    return "\n".join("    | " + redact(line) for line in lines)


REDACTOR = RedactingFilter()


def install_log_redaction() -> None:
    """Redact every log record from now on (idempotent), and quieten loggers that print bodies."""
    global _original_factory
    if _original_factory is None:
        _original_factory = logging.getLogRecordFactory()
        original = _original_factory

        def make_record(*args, **kwargs) -> logging.LogRecord:
            record = original(*args, **kwargs)
            REDACTOR.filter(record)
            return record

        logging.setLogRecordFactory(make_record)
    for handler in logging.getLogger().handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)
    for name in BODY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def remove_log_redaction() -> None:
    """Undo `install_log_redaction` (for tests that must leave logging as they found it)."""
    global _original_factory
    if _original_factory is not None:
        logging.setLogRecordFactory(_original_factory)
        _original_factory = None
    for handler in logging.getLogger().handlers:
        handler.removeFilter(REDACTOR)
