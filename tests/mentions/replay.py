"""A replayed stream of X mentions built from the recorded fixtures: their texts and authors, re-stamped
over the last hours and given fresh ids, as the fake X API would serve them. Used by tests and bench/."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from tests.fakes.x_api import load_fixture

FIRST_ID = 1_950_000_000_000_000_000


def fixture_texts() -> list[str]:
    """Every tweet text of the recorded mention and search pages."""
    pages = ("mentions__default_fields.json", "mentions__expanded.json", "search__recent.json")
    return [tweet["text"] for name in pages for tweet in load_fixture(name)["data"]]


def fixture_users() -> list[dict]:
    """The recorded user objects, with our own account left out."""
    return [user for user in load_fixture("mentions__expanded.json")["includes"]["users"]]


def stream(count: int, now: datetime | None = None, hours: float = 24.0) -> list[dict]:
    """`count` v2 tweets, oldest first, spread evenly over the `hours` before `now`, cycling the fixtures."""
    now = now or datetime.now(timezone.utc)
    step = timedelta(hours=hours) / max(count, 1)
    texts, users = itertools.cycle(fixture_texts()), itertools.cycle(fixture_users())
    tweets = []
    for index in range(count):
        user, tweet_id = next(users), str(FIRST_ID + index)
        at = now - timedelta(hours=hours) + step * (index + 1)
        tweets.append({"id": tweet_id, "text": next(texts), "author_id": user["id"], "conversation_id": tweet_id,
                       "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "edit_history_tweet_ids": [tweet_id]})
    return tweets


def page(tweets: list[dict]) -> dict:
    """The tweets as one expanded v2 page (authors in includes)."""
    ids = {tweet["author_id"] for tweet in tweets}
    return {"data": list(reversed(tweets)), "includes": {"users": [u for u in fixture_users() if u["id"] in ids]},
            "meta": {"result_count": len(tweets)}}
