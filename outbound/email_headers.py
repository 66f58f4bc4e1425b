"""Outgoing email headers written by hand from plain strings, never by the stdlib generator.

Python 3.11.7's `email` generator can turn an encoded newline in a copied
header (a customer's Subject) into a real one, injecting e.g. a `Bcc:` line
(CVE-2024-6923). Here every value is checked for CR, LF and NUL before it is
written, non-ASCII text becomes RFC 2047 encoded words, and lines are folded
only between encoded words or message ids.
"""

from __future__ import annotations

import re
from email.header import Header
from email.utils import formataddr

from outbound.errors import HeaderInjectionError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,75}$")
_FORBIDDEN = re.compile(r"[\r\n\x00]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ADDRESS = re.compile(r"^[^@\s<>\",;()\[\]\\]{1,64}@[A-Za-z0-9.-]{1,253}$")
_MESSAGE_ID = re.compile(r"^[^<>\s\"\\]{1,400}$")


def one_line(text: str, limit: int = 400) -> str:
    """Copied text made safe for a header: control characters (CR, LF included) become spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


def _checked(name: str, value: str) -> str:
    if not _NAME.match(name):
        raise HeaderInjectionError(f"not a header name: {name!r}")
    if _FORBIDDEN.search(value):
        raise HeaderInjectionError(f"header {name} may not contain CR, LF or NUL")
    return value


def text_header(name: str, value: str) -> str:
    """`Name: value` for unstructured text, RFC 2047-encoded when not plain short ASCII."""
    _checked(name, value)
    if value.isascii() and len(name) + len(value) < 900 and "=?" not in value:
        return f"{name}: {value}"
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}"


def address(value: str) -> str:
    """A bare addr-spec we may write (ASCII, one @, no specials); else HeaderInjectionError."""
    value = value.strip()
    _checked("Address", value)
    if not _ADDRESS.match(value):
        raise HeaderInjectionError(f"not an address we write: {value!r}")
    return value


def address_header(name: str, addr: str, display_name: str | None = None) -> str:
    """`Name: "Display" <addr>`, the display name encoded when needed."""
    addr = address(addr)
    if display_name:
        _checked(name, display_name)
        return _checked(name, f"{name}: {formataddr((display_name, addr), charset='utf-8')}")
    return f"{name}: {addr}"


def ids_header(name: str, ids: list[str]) -> str | None:
    """`Name: <id1>\\r\\n <id2>` for valid ids (others dropped); None when none is left."""
    _checked(name, "")
    valid = [f"<{value}>" for value in ids if _MESSAGE_ID.match(value)]
    if not valid:
        return None
    return f"{name}: " + "\r\n ".join(valid)


def raw_header(name: str, value: str) -> str:
    """`Name: value` for a value we composed ourselves (ASCII); still checked."""
    _checked(name, value)
    if not value.isascii():
        raise HeaderInjectionError(f"header {name} must be ASCII")
    return f"{name}: {value}"
