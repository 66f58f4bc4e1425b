"""Errors raised by worker jobs so RQ retries them."""


class PageUpdateError(Exception):
    """Some pages of a case could not be rewritten yet; the job is retried."""
