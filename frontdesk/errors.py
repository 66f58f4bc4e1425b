"""Errors shared by every package: inbound payload failures and start-up failures."""


class FrontdeskError(Exception):
    """Base of Frontdesk's own errors."""


class UnsupportedEventError(FrontdeskError):
    """A known provider event that Frontdesk deliberately ignores.

    The adapter accepts it (the provider must not retry), logs at info and counts it.
    """


class MalformedPayloadError(FrontdeskError):
    """A payload that cannot be understood.

    The raw bytes are kept as a quarantined record and counted; the adapter
    rejects it where the protocol allows. `field` names the offending field
    when one can be named.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class IntakeUnavailableError(FrontdeskError):
    """The store or the queue cannot take a message right now; retry later."""


class ConfigError(FrontdeskError):
    """The configuration cannot be used; the message names the field and value."""


class AlreadyRunningError(FrontdeskError):
    """Another `frontdesk run` holds the data directory."""
