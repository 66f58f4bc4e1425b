"""outbound.public_policy: what a public reply says, and every reason not to send one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from config.social import PublicReplySettings
from frontdesk.models import FLAG_OWN
from outbound.public_policy import ReplyFacts, public_reply_blocked, public_reply_text

OURS = "1072250532645998596"
SETTINGS = PublicReplySettings(hourly_cap=2)
FACTS = ReplyFacts(
    urgency="normal", flags=frozenset(), own_account_id=OURS, our_post_ids=frozenset({"555"}), opted_out=False,
    reply_to={"tweet_id": "900", "author_id": "42", "replied_to_id": "", "in_reply_to_user_id": "", "author_state": "ok"},
    earlier_public_replies=0, sent_last_hour=0,
)


def test_a_plain_complaint_may_be_answered():
    assert public_reply_blocked(FACTS, SETTINGS) is None


@pytest.mark.parametrize(("change", "why"), [
    ({"urgency": "low"}, "configured silent for low urgency"),
    ({"flags": frozenset({FLAG_OWN})}, "our own post"),
    ({"reply_to": {**FACTS.reply_to, "author_id": OURS}}, "our own post"),
    ({"reply_to": {**FACTS.reply_to, "replied_to_id": "555"}}, "a reply to our own post (loop guard)"),
    ({"reply_to": {**FACTS.reply_to, "in_reply_to_user_id": OURS}}, "a reply to our own post (loop guard)"),
    ({"opted_out": True}, "author opted out"),
    ({"reply_to": {**FACTS.reply_to, "author_state": "protected"}}, "author is protected"),
    ({"reply_to": {**FACTS.reply_to, "author_state": "unavailable"}}, "author is unavailable"),
    ({"earlier_public_replies": 1}, "this case already had its one public reply"),
    ({"sent_last_hour": 2}, "hourly cap of 2 replies reached"),
])
def test_each_guard_blocks(change, why):
    assert public_reply_blocked(replace(FACTS, **change), SETTINGS) == why


def test_mastodon_parent_fields_count_for_the_loop_guard():
    facts = replace(FACTS, reply_to={"author_id": "42", "in_reply_to_id": "555"})
    assert public_reply_blocked(facts, SETTINGS) == "a reply to our own post (loop guard)"


def test_reply_text_is_short_and_carries_only_the_reference():
    text = public_reply_text("FD-000042", "DM us.", mention="alice")
    assert text == "@alice Thanks for letting us know, we're looking into it (ref FD-000042). DM us."
    long = public_reply_text("FD-000042", "x" * 400)
    assert len(long) == 280 and long.endswith("…")
