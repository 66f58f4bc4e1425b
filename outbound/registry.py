"""The explicit registry of outbound senders, keyed by slug."""

from outbound.api import ApiSender
from outbound.apprise import AppriseSender
from outbound.email import EmailSender
from outbound.mastodon import MastodonSender
from outbound.slack import SlackSender
from outbound.webchat import WebchatSender
from outbound.x import XSender

SENDERS = {
    "api": ApiSender,
    "email": EmailSender,
    "webchat": WebchatSender,
    "slack": SlackSender,
    "x": XSender,
    "mastodon": MastodonSender,
    "apprise": AppriseSender,
}
