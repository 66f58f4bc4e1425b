"""The mentions index: one row per public post seen on a social network, with its sentiment and urgency.

Every public mention is recorded here, also those that open no case (low
urgency, our own posts), so marketing sees the whole conversation. Rows are
written in the routing transaction; `(channel, external_id)` is unique, so a
re-routed payload never counts twice.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from frontdesk.mentions import sentiment
from frontdesk.models import FLAG_OWN, Decision, Message
from frontdesk.store.tables import Base

HASHTAG = re.compile(r"(?<![\w#])#(\w{1,100})")
# A network's own language tag is kept when ours could not tell (short posts) and it names a language:
# X also writes "und" (undetermined), "qme" (media only), "zxx" (no text)…
NETWORK_LANGUAGE = re.compile(r"[a-z]{2}")
TEXT_LIMIT = 4000


class Mention(Base):
    """A public post that mentions the brand (or matched a configured query or hashtag)."""

    __tablename__ = "mentions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    stream: Mapped[str] = mapped_column(String(300), default="mentions")
    author_id: Mapped[str] = mapped_column(String(128))
    author_handle: Mapped[str] = mapped_column(String(256), default="")
    author_name: Mapped[str | None] = mapped_column(String(256), default=None)
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(1024), default="")
    at: Mapped[datetime] = mapped_column()
    sentiment: Mapped[float] = mapped_column(Float, default=0.0)
    sentiment_label: Mapped[str] = mapped_column(String(8))
    urgency: Mapped[str] = mapped_column(String(16))
    # ISO 639 code, when it could be told; sentiment (VADER) reads English only.
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    hashtags: Mapped[str] = mapped_column(String(1024), default="")
    case_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), default=None)
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_mentions_channel_external"),
        Index("ix_mentions_at", "at"),
        Index("ix_mentions_label_at", "sentiment_label", "at"),
        Index("ix_mentions_channel_at", "channel", "at"),
        Index("ix_mentions_at_channel_label", "at", "channel", "sentiment_label"),
        Index("ix_mentions_language_at", "language", "at"),
    )


def mention_row(message: Message, urgency: str, case_id: int | None, negative_below: float = -0.05,
                language: str | None = None) -> Mention:
    """The index row for a parsed public message (sentiment scored here); `language` is the classifier's,
    else the network's tag is used when it names one."""
    language = language or network_language(message.language)
    compound, label = sentiment.scored(message.text, language, negative_below)
    reply_to = message.reply_to
    handle = reply_to.get("author_username") or reply_to.get("acct") or ""
    return Mention(
        id=message.id, channel=message.channel, external_id=message.external_id,
        stream=reply_to.get("stream", "mentions")[:300], author_id=message.sender.handle[:128],
        author_handle=handle[:256], author_name=(message.sender.name or None) and message.sender.name[:256],
        text=message.text[:TEXT_LIMIT], url=reply_to.get("url", "")[:1024],
        at=min(message.sent_at, message.received_at), sentiment=compound,
        sentiment_label=label, urgency=urgency, language=language,
        hashtags=" ".join(sorted({tag.lower() for tag in HASHTAG.findall(message.text)}))[:1024], case_id=case_id,
    )


def network_language(tag: str | None) -> str | None:
    """The network's language tag of a post ("es", "pt-BR") as an ISO 639-1 code, or None."""
    code = (tag or "").split("-")[0].lower()
    return code if NETWORK_LANGUAGE.fullmatch(code) else None


def record_mention(session: Session, message: Message, urgency: str, case_id: int | None,
                   negative_below: float = -0.05, language: str | None = None) -> bool:
    """Add the mention unless it is already indexed; returns whether a row was added."""
    exists = session.scalar(select(Mention.id).where(
        Mention.channel == message.channel, Mention.external_id == message.external_id))
    if exists is not None:
        return False
    session.add(mention_row(message, urgency, case_id, negative_below, language))
    return True


SOCIAL_CHANNELS = ("x", "mastodon")


def opens_case(message: Message, decision: Decision) -> bool:
    """False for public mentions that are only indexed: our own posts, and low urgency nobody acknowledges
    that does not continue an existing case."""
    if not message.public or message.channel not in SOCIAL_CHANNELS:
        return True
    if FLAG_OWN in message.flags:
        return False
    return decision.urgency != "low" or decision.acknowledge or decision.thread.case_id is not None


def index_public(session: Session, message: Message, decision: Decision, case_id: int | None, settings) -> None:
    """Index a routed public social mention for the mentions view (not our own posts); others are ignored."""
    if message.public and message.channel in SOCIAL_CHANNELS and FLAG_OWN not in message.flags:
        record_mention(session, message, decision.urgency, case_id, settings.mentions.spike.negative_below,
                       decision.classification.language)
