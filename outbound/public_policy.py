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

from config.social import PublicReplySettings
from frontdesk.models import FLAG_OWN, DeliveryResult, Rendered

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
