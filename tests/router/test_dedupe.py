"""router/dedupe.py on the real store: one person across channels, one complaint in the same words, linked with evidence."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from frontdesk.models import Contact, Message
from router.dedupe import BANDS, minhash_keys

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
LONG = ("I bought the X200 kettle from your Leeds store last week and it has been leaking boiling water "
        "all over the counter every time I use it")


def message(number: int, channel: str, handle: str, text: str, email: str | None = None,
            minutes: int = 0) -> Message:
    at = T0 + timedelta(minutes=minutes)
    return Message(id=f"m{number}", channel=channel, external_id=f"e{number}", text=text, sent_at=at, received_at=at,
                   sender=Contact(channel=channel, handle=handle, email=email, email_verified=email is not None))


def test_same_verified_email_on_another_channel_joins_the_open_case(store):
    first, _ = store.route(message(1, "email", "ann@example.com", "My parcel never arrived.", "ann@example.com"))
    second, decision = store.route(message(2, "webchat", "visitor-9", "Any news on my parcel?",
                                           "Ann@Example.com", 20))
    assert second == first
    assert decision.thread.how == "linked" and "verified email" in decision.thread.evidence
    assert store.events(first, "linked")[0]["evidence"] == decision.thread.evidence


def test_unverified_email_does_not_link(store):
    first, _ = store.route(message(1, "email", "ann@example.com", "My parcel never arrived.", "ann@example.com"))
    other = Message(id="m2", channel="webchat", external_id="e2", text="Any news on my parcel?", sent_at=T0,
                    received_at=T0, sender=Contact(channel="webchat", handle="v", email="ann@example.com"))
    assert store.route(other)[0] != first


def test_the_same_long_complaint_on_two_channels_is_linked_with_its_evidence(store):
    first, _ = store.route(message(1, "api", "client-7", LONG))
    second, decision = store.route(message(2, "x", "4242", "@AcmeHelp " + LONG + " !!", minutes=45))
    assert second == first
    assert decision.thread.how == "linked" and f"of {BANDS} MinHash bands" in decision.thread.evidence


def test_a_short_identical_text_from_someone_else_is_only_suggested(store):
    text = "My order has not arrived yet, can you check please"
    first, _ = store.route(message(1, "api", "client-7", text))
    second, decision = store.route(message(2, "x", "4242", text, minutes=5))
    assert second != first
    assert decision.thread.suggested_case_id == first
    assert store.events(second, "link_suggested")[0]["case"] == first


def test_different_complaints_share_no_keys_and_short_texts_have_none():
    assert not set(minhash_keys(LONG)) & set(minhash_keys("The app crashes whenever I open the settings page "
                                                          "on my new phone after the update"))
    assert minhash_keys("too short to say anything") == ()
    assert minhash_keys(LONG) == minhash_keys(LONG.upper())


def test_outside_the_window_nothing_links(store):
    first, _ = store.route(message(1, "api", "client-7", LONG))
    late = message(2, "x", "4242", LONG, minutes=int(timedelta(days=30).total_seconds() // 60))
    second, decision = store.route(late)
    assert second != first and decision.thread.how == "new"
