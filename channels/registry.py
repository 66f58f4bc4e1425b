"""The explicit registry of inbound channels, keyed by slug.

The slug is the package name, the YAML section under `channels:`, the fixture
folder, the metric label and the Redis key prefix.
"""

from channels.api.adapter import ApiAdapter
from channels.email.adapter import EmailAdapter
from channels.mastodon.adapter import MastodonAdapter
from channels.slack.adapter import SlackAdapter
from channels.webchat.adapter import WebchatAdapter
from channels.x.adapter import XAdapter

CHANNELS = {
    "api": ApiAdapter,
    "email": EmailAdapter,
    "webchat": WebchatAdapter,
    "slack": SlackAdapter,
    "x": XAdapter,
    "mastodon": MastodonAdapter,
}
