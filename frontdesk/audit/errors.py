"""Errors of the audit record."""


class AppendOnlyError(RuntimeError):
    """An attempt to change or delete a recorded case event outside the erasure path."""
