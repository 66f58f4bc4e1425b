"""Errors of the personal-data package."""


class KeyringError(ValueError):
    """The data keys are missing, malformed, or none of them opens a sealed value."""


class SubjectNotFoundError(LookupError):
    """No contact matches the identifier given for an export or an erasure."""
