"""The explicit registry of outbound senders, keyed by slug."""

from outbound.api import ApiSender
from outbound.apprise import AppriseSender

SENDERS = {
    "api": ApiSender,
    "apprise": AppriseSender,
}
