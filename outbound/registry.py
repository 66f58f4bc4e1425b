"""The explicit registry of outbound senders, keyed by slug."""

from outbound.api import ApiSender
from outbound.apprise import AppriseSender
from outbound.email import EmailSender
from outbound.mastodon import MastodonSender
from outbound.x import XSender
from outbound.slack import SlackSender
from outbound.webchat import WebchatSender

SENDERS = {
    "api": ApiSender,
    "apprise": AppriseSender,
    "email": EmailSender,
    "x": XSender,
    "mastodon": MastodonSender,
    "slack": SlackSender,
    "webchat": WebchatSender,
}
