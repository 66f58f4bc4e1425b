"""API clients of the social networks mentions come from: tweepy's API v2 `Client` and Mastodon.py.

tweepy (https://docs.tweepy.org/en/stable/client.html) fixes its host
(`https://api.twitter.com`) and sends without a timeout; a requests transport
adapter mounted on the client's own session gives every request a timeout and,
where `api_base_url` is not X's, rebases requests onto it (a proxy, an egress
gateway, or the fake API of the tests). Mastodon.py
(https://mastodonpy.readthedocs.io/) takes its base URL and timeout directly.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import tweepy
from mastodon import Mastodon
from requests.adapters import HTTPAdapter

X_HOSTS = ("https://api.twitter.com/", "https://api.x.com/")


class BaseUrlAdapter(HTTPAdapter):
    """A transport adapter that sends each request to `base_url` + its path, with a default timeout."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__(max_retries=0)
        self.base = urlsplit(base_url.rstrip("/"))
        self.timeout = timeout

    def send(self, request, **kwargs):
        """Rewrite scheme, host and path prefix, then send as requests would."""
        url = urlsplit(request.url)
        request.url = urlunsplit((self.base.scheme, self.base.netloc, self.base.path + url.path, url.query, ""))
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().send(request, **kwargs)


def x_client(token: str, base_url: str, timeout: float) -> tweepy.Client:
    """A tweepy v2 Client answering plain dicts, `token` as its bearer token; it raises on 429 instead of sleeping."""
    client = tweepy.Client(bearer_token=token, return_type=dict, wait_on_rate_limit=False)
    adapter = BaseUrlAdapter(base_url, timeout)
    for host in X_HOSTS:
        client.session.mount(host, adapter)
    return client


def mastodon_client(token: str, base_url: str, timeout: float) -> Mastodon:
    """A Mastodon.py client that raises on 429 (callers reschedule) and never probes the instance version."""
    return Mastodon(
        access_token=token, api_base_url=base_url, request_timeout=timeout,
        ratelimit_method="throw", version_check_mode="none",
    )
