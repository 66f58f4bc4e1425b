"""Errors of the outbound package."""

from frontdesk.errors import FrontdeskError


class HeaderInjectionError(FrontdeskError, ValueError):
    """A header name or value we were about to write would break the header block (CR, LF, NUL, bad address)."""
