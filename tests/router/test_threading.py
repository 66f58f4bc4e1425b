"""router/threading.py: threads without headers — subjects in many languages, quoted text, series, suggestions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from config.schema import AcknowledgmentSettings, ChatSettings, RouterSettings
from frontdesk.models import Contact, Message
from frontdesk.triage import MemoryCases
from frontdesk.judging import build_router
from router.threading import normalise_subject

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("subject", "expected"), [
    ("Re: Refund for order 1234", ("refund for order 1234", True)),
    ("AW: WG: Rückerstattung", ("rückerstattung", True)),
    ("SV: Re: Reklamation", ("reklamation", True)),
    ("RE[2]: Missing parcel", ("missing parcel", True)),
    ("Fwd: Broken kettle", ("broken kettle", False)),
    ("TR: Colis perdu", ("colis perdu", False)),
    ("回复: 退款", ("退款", True)),
    ("Odp: Reklamacja", ("reklamacja", True)),
    ("[support-list] Re: Late delivery", ("late delivery", True)),
    ("Re: [PATCH v2 3/7] mm: fix the thing", ("patch v2 mm: fix the thing", True)),
    ("Refund", ("refund", False)),
    ("", ("", False)),
    (None, ("", False)),
])
def test_normalise_subject(subject, expected):
    assert normalise_subject(subject) == expected


def email(number: int, sender: str, subject: str, text: str, minutes: int = 0) -> Message:
    when = NOW + timedelta(minutes=minutes)
    return Message(id=f"m{number}", channel="email", external_id=f"<m{number}@x>", own_ids=(f"m{number}@x",),
                   sender=Contact(channel="email", handle=sender, email=sender), subject=subject, text=text,
                   sent_at=when, received_at=when)


def route_all(messages: list[Message], settings: RouterSettings | None = None) -> list:
    router = build_router(settings or RouterSettings(), AcknowledgmentSettings())
    cases = MemoryCases()
    decisions = []
    for message in messages:
        decision = router.route(message, cases)
        decisions.append((cases.record(message, decision), decision))
    return decisions


def test_two_customers_writing_refund_are_never_merged():
    first, second = route_all([
        email(1, "ann@example.com", "Refund", "I want a refund for my broken kettle."),
        email(2, "bob@example.com", "Refund", "Refund please, the shoes are the wrong size."),
    ])
    assert first[0] != second[0]


def test_a_reply_to_a_common_subject_from_someone_else_is_suggested_not_merged():
    first, second = route_all([
        email(1, "ann@example.com", "Refund", "I want a refund for my broken kettle."),
        email(2, "bob@example.com", "Re: Refund", "Same problem here with my kettle, it leaks."),
    ])
    case_id, decision = second
    assert case_id != first[0]
    assert decision.thread.suggested_case_id == first[0]
    assert "suggested, not merged" in decision.thread.evidence


def test_a_headerless_reply_quoting_the_original_joins_its_case():
    first, second = route_all([
        email(1, "ann@example.com", "Kettle", "My kettle started leaking after two days of use."),
        email(2, "carl@example.com", "Re: Kettle",
              "Forwarding to the right team.\n> My kettle started leaking after two days of use.", 30),
    ])
    assert second[0] == first[0]
    assert second[1].thread.how == "quoted_text"
    assert any(reason.source == "thread" and "quotes a line" in reason.detail for reason in second[1].reasons)


def test_a_reply_whose_channel_removed_the_quote_from_its_text_joins_by_the_quoted_history():
    first, second = route_all([
        email(1, "ann@example.com", "Kettle", "My kettle started leaking after two days of use."),
        email(2, "carl@example.com", "Re: Kettle", "Forwarding to the right team.", 30).model_copy(
            update={"quoted": "On Mon, Ann wrote:\n> My kettle started leaking after two days of use."}),
    ])
    assert second[0] == first[0] and second[1].thread.how == "quoted_text"


def test_a_reply_joins_the_case_it_quotes_most_and_none_when_two_are_quoted_alike():
    kettle = "My kettle started leaking after two days of use."
    toaster = "The toaster burns every slice of bread on setting one.\nIt also smells of melting plastic afterwards."
    decisions = route_all([
        email(1, "ann@example.com", "Kettle", kettle),
        email(2, "bob@example.com", "Toaster", toaster, 1),
        email(3, "carl@example.com", "Re: Toaster", f"Two.\n> {kettle}\n> " + toaster.replace("\n", "\n> "), 30),
        email(4, "dee@example.com", "Re: Appliances", f"Both?\n> {kettle}\n> {toaster.splitlines()[0]}", 40),
    ])
    case_ids = [case_id for case_id, _ in decisions]
    assert case_ids[2] == case_ids[1] and decisions[2][1].thread.evidence == "quotes 2 lines of messages in this case"
    assert case_ids[3] not in case_ids[:3] and decisions[3][1].thread.how == "new"


def test_a_reply_to_a_specific_subject_joins_and_parts_of_a_series_stay_together():
    decisions = route_all([
        email(1, "dev@example.org", "[PATCH 0/2] mm: speed up the page cache", "Cover letter."),
        email(2, "dev@example.org", "[PATCH 1/2] mm: add a helper for the page cache", "Patch one.", 1),
        email(3, "dev@example.org", "[PATCH 2/2] mm: use the helper in the page cache", "Patch two.", 2),
        email(4, "rev@example.org", "Re: [PATCH 1/2] mm: add a helper for the page cache", "Looks good.", 60),
        email(5, "dev@example.org", "[PATCH 1/2] net: another series entirely", "Other.", 3 * 24 * 60),
    ])
    case_ids = [case_id for case_id, _ in decisions]
    assert case_ids[0] == case_ids[1] == case_ids[2] == case_ids[3]
    assert case_ids[4] != case_ids[0]
    assert [decision.thread.how for _, decision in decisions[1:4]] == ["series", "series", "reply_subject"]


def chat(number: int, sender: str, text: str, minutes: int = 0) -> Message:
    when = NOW + timedelta(minutes=minutes)
    return Message(id=f"c{number}", channel="webchat", external_id=f"c{number}",
                   sender=Contact(channel="webchat", handle=sender), text=text, sent_at=when, received_at=when)


def test_a_chat_line_addressed_to_someone_joins_their_case_and_others_stay_apart():
    decisions = route_all([
        chat(1, "ann", "is anyone else's laptop spinning down the disk every second?"),
        chat(2, "bob", "ann: five seconds is the minimum, see hdparm", 2),
        chat(3, "cy", "how do I change my password?", 3),
        chat(4, "dee", "<@cy> settings, then security", 4),
        chat(5, "eve", "zed: are you there?", 5),
    ], RouterSettings(chat=ChatSettings(rooms=["webchat"])))  # keyless lines: a room bridged in
    case_ids = [case_id for case_id, _ in decisions]
    assert case_ids[1] == case_ids[0] and decisions[1][1].thread.how == "addressed"
    assert case_ids[3] == case_ids[2] != case_ids[0]
    assert case_ids[4] not in case_ids[:4]


def test_a_parent_arriving_after_its_reply_joins_the_reply_case():
    reply = email(2, "bob@example.com", "Re: Kettle", "Mine leaks too.", 5).model_copy(
        update={"thread_refs": ("m1@x",)})
    parent = email(1, "ann@example.com", "Kettle", "My kettle leaks.", 0)
    later_sibling = email(3, "cy@example.com", "Re: Kettle", "Same here.", 9).model_copy(
        update={"thread_refs": ("m1@x",)})
    (reply_case, _), (parent_case, parent_decision), (sibling_case, _) = route_all([reply, parent, later_sibling])
    assert parent_case == reply_case == sibling_case
    assert parent_decision.thread.how == "parent_after_reply"


def test_a_parent_with_a_case_of_its_own_merges_the_case_of_its_earlier_reply():
    opening = email(1, "ann@example.com", "Kettle", "My kettle leaks.", 0)
    reply = email(2, "bob@example.com", "Re: Kettle", "Mine leaks too.", 5).model_copy(
        update={"thread_refs": ("m3@x",)})
    parent = email(3, "ann@example.com", "Re: Kettle", "Still leaking.", 3).model_copy(
        update={"thread_refs": ("m1@x",)})
    reply_to_reply = email(4, "cy@example.com", "Re: Kettle", "Same here.", 9).model_copy(
        update={"thread_refs": ("m2@x",)})
    decisions = route_all([opening, reply, parent, reply_to_reply])
    (first, _), (reply_case, _), (parent_case, decision), (last, _) = decisions
    assert reply_case != first == parent_case == last
    assert decision.thread.how == "parent_after_reply" and decision.thread.merge_case_ids == (reply_case,)
    assert f"case {reply_case} merged into case {first}" in decision.thread.evidence
    assert any(reason.source == "thread" and "merged" in reason.detail for reason in decision.reasons)
