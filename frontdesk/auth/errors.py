"""Errors of operator accounts."""

from __future__ import annotations


class AccountError(ValueError):
    """An operator account cannot be created or changed as asked (name taken, bad role, weak password)."""
