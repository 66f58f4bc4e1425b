"""frontdesk.mentions.queries on a migrated SQLite store: buckets, filters, terms."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from frontdesk.mentions import queries
from frontdesk.mentions.store import Mention
from frontdesk.store.db import make_engine, make_sessions, migrate

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


@pytest.fixture()
def sessions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    migrate(engine)
    sessions = make_sessions(engine)
    rows = [("x", "negative", 5), ("x", "positive", 65), ("mastodon", "negative", 125), ("x", "neutral", 1500)]
    with sessions.begin() as session:
        for index, (channel, label, minutes_ago) in enumerate(rows):
            session.add(Mention(id=f"m{index}", channel=channel, external_id=str(index), stream="mentions",
                                author_id="1", author_handle="ann", text=f"#Late parcel again {label}", url="",
                                at=NOW - timedelta(minutes=minutes_ago), sentiment=0.0, sentiment_label=label,
                                urgency="normal", hashtags="late"))
    return sessions


def test_volume_counts_land_in_their_buckets(sessions):
    with sessions() as session:
        hourly = queries.volume(session, queries.Filters(), NOW - timedelta(hours=3), NOW, timedelta(minutes=30))
        minutes = queries.volume(session, queries.Filters(), NOW - timedelta(hours=1), NOW, timedelta(minutes=2))
    assert hourly["bucket_seconds"] == 1800 and len(hourly["starts"]) == 7
    assert sum(hourly["by_network"]["mastodon"]) == 1 and sum(hourly["by_sentiment"]["neutral"]) == 0
    starts = [datetime.fromisoformat(s) for s in hourly["starts"]]
    for network, series in hourly["by_network"].items():
        for start, count in zip(starts, series):
            expected = sum(1 for c, _, ago in [("x", "", 5), ("x", "", 65), ("mastodon", "", 125)]
                           if c == network and start <= NOW - timedelta(minutes=ago) < start + timedelta(minutes=30))
            assert count == expected
    assert sum(minutes["by_network"]["x"]) == 1 and minutes["by_sentiment"]["negative"][27] == 1


def test_filters_and_terms(sessions):
    with sessions() as session:
        assert [m["network"] for m in queries.feed(session, queries.Filters(channel="mastodon"), 10)] == ["mastodon"]
        assert len(queries.feed(session, queries.Filters(sentiment="negative"), 10)) == 2
        top = queries.top_terms(session, queries.Filters(), NOW - timedelta(days=1))
    assert ("parcel", 3) in top["terms"] and top["hashtags"] == [("late", 3)]  # the fourth is older than a day


def test_languages_are_listed_and_filter_the_feed(sessions):
    with sessions.begin() as session:
        for index, language in enumerate(("es", "es", "it")):
            session.add(Mention(id=f"l{index}", channel="x", external_id=f"l{index}", stream="mentions",
                                author_id="2", author_handle="bea", text="Mi pedido no llegó", url="", at=NOW,
                                sentiment=0.0, sentiment_label="neutral", urgency="normal", hashtags="",
                                language=language))
    with sessions() as session:
        assert queries.languages(session) == ["es", "it"]  # mentions whose language could not be told are not listed
        spanish = queries.feed(session, queries.Filters(language="es"), 10)
    assert [m["id"] for m in spanish] == ["l1", "l0"] and {m["language"] for m in spanish} == {"es"}
