"""Errors of the dashboard."""

from __future__ import annotations


class ActionRefusedError(Exception):
    """A case action cannot be done as the form asked; the message says why and is shown to the operator."""
