"""The explicit registry of outbound senders, keyed by slug."""

from outbound.api import ApiSender
from outbound.apprise import AppriseSender
from outbound.mastodon import MastodonSender
from outbound.x import XSender
from outbound.slack import SlackSender
from outbound.webchat import WebchatSender

SENDERS = {
    "api": ApiSender,
    "apprise": AppriseSender,
    "x": XSender,
    "mastodon": MastodonSender,
    "slack": SlackSender,
    "webchat": WebchatSender,
}
