"""What may be said in public, and when not to say it: replies to public mentions on X and Mastodon.

A public reply carries the case reference and an invitation to a private
channel, nothing else: no names, no case details, no excerpt of the
complaint. It goes out at most once per case, never to our own posts, never
to a reply to one of our replies (two bots answering each other forever),
never to opted-out, protected or vanished accounts, and never beyond the
hourly cap per account that keeps the account from looking like a spam bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from config.social import PublicReplySettings
from frontdesk.models import FLAG_OWN, DeliveryResult, Rendered, utcnow
from frontdesk.store.cases import is_opted_out
from frontdesk.store.tables import Delivery

PUBLIC_REPLY_LIMIT = 280


def public_reply_text(reference: str, private_channel: str, mention: str = "", limit: int = PUBLIC_REPLY_LIMIT) -> str:
    """The one public reply we send: a reference and the invitation to go private, within `limit` characters."""
    prefix = f"@{mention} " if mention else ""
    text = f"{prefix}Thanks for letting us know, we're looking into it (ref {reference}). {private_channel}"
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def settled_before_sending(settings: PublicReplySettings, target: str, rendered: Rendered,
                           token_env: str, has_token: bool) -> DeliveryResult | None:
    """The result of a delivery that ends before any call: no token configured, or silence for its urgency."""
    if not has_token:
        return DeliveryResult(target=target, status="failed", error=f"no token in ${token_env}")
    if settings.mode(rendered.meta.get("urgency", "normal")) == "silent":
        return DeliveryResult(target=target, status="skipped", detail="configured silent for this urgency")
    return None


@dataclass(frozen=True)
class ReplyFacts:
    """What the checks need to know about a planned public reply, gathered from the store by the caller."""

    urgency: str
    flags: frozenset[str]
    reply_to: dict[str, str]
    own_account_id: str
    our_post_ids: frozenset[str]
    opted_out: bool
    earlier_public_replies: int
    sent_last_hour: int


def public_reply_blocked(facts: ReplyFacts, settings: PublicReplySettings) -> str | None:
    """Why no reply may go out to this public mention, or None when one may."""
    if settings.mode(facts.urgency) == "silent":
        return f"configured silent for {facts.urgency} urgency"
    if FLAG_OWN in facts.flags or (facts.own_account_id and facts.reply_to.get("author_id") == facts.own_account_id):
        return "our own post"
    parent = facts.reply_to.get("replied_to_id") or facts.reply_to.get("in_reply_to_id") or ""
    parent_author = facts.reply_to.get("in_reply_to_user_id") or facts.reply_to.get("in_reply_to_account_id") or ""
    if parent in facts.our_post_ids or (facts.own_account_id and parent_author == facts.own_account_id):
        return "a reply to our own post (loop guard)"
    if facts.opted_out:
        return "author opted out"
    if facts.reply_to.get("author_state", "ok") != "ok":
        return f"author is {facts.reply_to.get('author_state')}"
    if facts.earlier_public_replies:
        return "this case already had its one public reply"
    if facts.sent_last_hour >= settings.hourly_cap:
        return f"hourly cap of {settings.hourly_cap} replies reached"
    return None


def hour_ago(now: datetime) -> datetime:
    """The start of the hourly cap's window."""
    return now - timedelta(hours=1)


PUBLIC_SENDERS = ("x", "mastodon")
LIVE_STATUSES = ("sending", "sent", "unknown")


def public_reply_refusal(settings, session, delivery, case, message) -> str | None:
    """For an acknowledgment of a public mention on X or Mastodon: why it may not go out, or None.

    `settings` is the whole Settings; the rest are the store rows the delivery
    worker holds (Delivery, Case, MessageRow). Reads the store, writes nothing.
    """
    if delivery.kind != "ack" or message is None or not message.public or delivery.sender not in PUBLIC_SENDERS:
        return None
    section = getattr(settings.outbound, delivery.sender)
    facts = ReplyFacts(
        urgency=case.urgency, flags=frozenset(message.flags), reply_to=dict(message.reply_to),
        own_account_id=own_account_id(settings, delivery.sender),
        our_post_ids=_our_posts(session, delivery.sender, message.reply_to),
        opted_out=is_opted_out(session, message.channel, message.reply_to.get("author_id")
                               or message.reply_to.get("account_id", "")),
        earlier_public_replies=session.scalar(select(func.count(Delivery.id)).where(
            Delivery.case_id == case.id, Delivery.sender == delivery.sender, Delivery.id != delivery.id,
            Delivery.kind == "ack", Delivery.status.in_(LIVE_STATUSES))) or 0,
        sent_last_hour=session.scalar(select(func.count(Delivery.id)).where(
            Delivery.sender == delivery.sender, Delivery.status.in_(LIVE_STATUSES),
            Delivery.updated_at >= hour_ago(utcnow()))) or 0,
    )
    return public_reply_blocked(facts, section)


def own_account_id(settings, slug: str) -> str:
    """Our own account id on the network, from the sender's or the channel's settings ("" when unset)."""
    sender, channel = getattr(settings.outbound, slug), getattr(settings.channels, slug)
    return getattr(sender, "user_id", None) or getattr(sender, "account_id", None) or getattr(
        channel, "user_id", None) or ""


def _our_posts(session, slug: str, reply_to: dict) -> frozenset[str]:
    parent = reply_to.get("replied_to_id") or reply_to.get("in_reply_to_id") or ""
    if not parent:
        return frozenset()
    found = session.scalar(select(Delivery.id).where(Delivery.sender == slug, Delivery.provider_id == parent))
    return frozenset({parent}) if found is not None else frozenset()
