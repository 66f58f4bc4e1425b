"""Reads of the mentions index for the view: the feed, volume over time, top terms and hashtags, CSV rows.

All reads take the same `Filters` (network, sentiment, urgency, stream, language, text)
and use the `(…, at)` indexes; volume is bucketed in SQL so 50,000 mentions
in a day cost one grouped scan, and terms are counted over the newest
`TERMS_SAMPLE` mentions of the window.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from frontdesk.mentions.store import Mention

LABELS = ("negative", "neutral", "positive", "unscored")
TERMS_SAMPLE = 5000
WORD = re.compile(r"[a-zA-ZÀ-ÿ][a-zA-ZÀ-ÿ'’-]{2,}")
STOPWORDS = frozenset("""
a about after again all also am an and any are as at be been before being but by can could did do does doing
don't for from had has have having he her here hers him his how i i'm if in into is it it's its just let me
more most my no nor not now of off on once only or other our ours out over own same she should so some such
than that that's the their theirs them then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your yours yet get got one via amp
""".split())


@dataclass(frozen=True)
class Filters:
    """What the view is narrowed to; empty fields do not filter."""

    channel: str = ""
    sentiment: str = ""
    urgency: str = ""
    stream: str = ""
    language: str = ""
    text: str = ""

    def apply(self, statement):
        """`statement` with these filters added."""
        if self.channel:
            statement = statement.where(Mention.channel == self.channel)
        if self.sentiment:
            statement = statement.where(Mention.sentiment_label == self.sentiment)
        if self.urgency:
            statement = statement.where(Mention.urgency == self.urgency)
        if self.stream:
            statement = statement.where(Mention.stream == self.stream)
        if self.language:
            statement = statement.where(Mention.language == self.language)
        if self.text:
            escaped = self.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            statement = statement.where(Mention.text.ilike(f"%{escaped}%", escape="\\"))
        return statement


def as_dict(row: Mention) -> dict:
    """One mention as the JSON API and the CSV export show it."""
    return {
        "id": row.id, "network": row.channel, "external_id": row.external_id, "stream": row.stream,
        "author": {"id": row.author_id, "handle": row.author_handle, "name": row.author_name},
        "text": row.text, "url": row.url, "at": row.at.isoformat(), "sentiment": row.sentiment,
        "sentiment_label": row.sentiment_label, "urgency": row.urgency, "language": row.language,
        "case_id": row.case_id,
    }


def feed(session: Session, filters: Filters, limit: int, before: datetime | None = None) -> list[dict]:
    """The newest mentions first, `limit` at most, older than `before` when given (for paging)."""
    statement = filters.apply(select(Mention)).order_by(Mention.at.desc(), Mention.id.desc()).limit(limit)
    if before is not None:
        statement = statement.where(Mention.at < before)
    return [as_dict(row) for row in session.scalars(statement)]


def export_rows(session: Session, filters: Filters, since: datetime, limit: int):
    """Mentions of the window for CSV export, newest first, streamed in chunks."""
    statement = filters.apply(select(Mention)).where(Mention.at >= since)
    statement = statement.order_by(Mention.at.desc(), Mention.id.desc()).limit(limit).execution_options(yield_per=2000)
    for row in session.scalars(statement):
        yield as_dict(row)


def _slot_key(session: Session, seconds: int):
    """A GROUP BY key per time slot and a function from its value to epoch seconds.

    PostgreSQL buckets by epoch arithmetic. SQLite stores times as text
    (`2026-11-23 15:04:05.000000`), so a prefix of the text (the minute, or the
    ten minutes) groups without parsing every row; slots are folded into
    buckets afterwards.
    """
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", Mention.at) / seconds), Integer), lambda key: int(key) * seconds
    width, pattern, pad = (16, "%Y-%m-%d %H:%M", "") if seconds < 600 else (15, "%Y-%m-%d %H:%M", "0")
    to_epoch = lambda key: datetime.strptime(key + pad, pattern).replace(tzinfo=timezone.utc).timestamp()  # noqa: E731
    return func.substr(Mention.at, 1, width), to_epoch


def volume(session: Session, filters: Filters, since: datetime, until: datetime, bucket: timedelta) -> dict:
    """Counts per time bucket, per network and per sentiment label, from `since` to `until`."""
    seconds = max(int(bucket.total_seconds()), 60)
    key, to_epoch = _slot_key(session, seconds)
    key = key.label("slot")
    statement = filters.apply(select(key, Mention.channel, Mention.sentiment_label, func.count()))
    statement = statement.where(Mention.at >= since, Mention.at < until).group_by(
        key, Mention.channel, Mention.sentiment_label)
    first = int(since.timestamp()) // seconds
    slots = max(int(until.timestamp()) // seconds - first + 1, 1)
    by_network: dict[str, list[int]] = {}
    by_sentiment = {label: [0] * slots for label in LABELS}
    for slot_key, channel, label, count in session.execute(statement):
        slot = int(to_epoch(slot_key)) // seconds - first
        if 0 <= slot < slots:
            by_network.setdefault(channel, [0] * slots)[slot] += count
            by_sentiment.setdefault(label, [0] * slots)[slot] += count
    starts = [datetime.fromtimestamp((first + i) * seconds, timezone.utc).isoformat() for i in range(slots)]
    return {"bucket_seconds": seconds, "starts": starts, "by_network": by_network, "by_sentiment": by_sentiment}


def top_terms(session: Session, filters: Filters, since: datetime, limit: int = 15) -> dict:
    """The most frequent words (stopwords, handles and links left out) and hashtags since `since`."""
    statement = filters.apply(select(Mention.text, Mention.hashtags)).where(Mention.at >= since)
    statement = statement.order_by(Mention.at.desc()).limit(TERMS_SAMPLE)
    words: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    for text, hashtags in session.execute(statement):
        cleaned = re.sub(r"https?://\S+|[@#]\w+", " ", text.lower())
        words.update({word.strip("'’-") for word in WORD.findall(cleaned)} - STOPWORDS)
        tags.update(hashtags.split())
    return {"terms": words.most_common(limit), "hashtags": tags.most_common(limit)}


def streams(session: Session) -> list[str]:
    """The distinct streams (mentions, searches, hashtags) in the index, for the filter menu."""
    return sorted(session.scalars(select(Mention.stream).distinct().limit(200)))


def languages(session: Session) -> list[str]:
    """The distinct languages mentions were told to be in, for the filter menu."""
    return sorted(session.scalars(select(Mention.language).where(Mention.language.is_not(None)).distinct().limit(200)))
