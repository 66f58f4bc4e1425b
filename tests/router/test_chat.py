"""router/chat.py: lines with no thread key and no subject on a channel named a room, in the SQL store and in
memory alike; on other channels such a message continues its sender's case."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from config.schema import AcknowledgmentSettings, ChatSettings, RouterSettings
from frontdesk.judging import build_router
from frontdesk.models import Contact, Message
from frontdesk.triage import MemoryCases
from router.chat import addressee
from tests.router.conftest import StoredRouting

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
ROOMS = ChatSettings(rooms=["api"])


@pytest.fixture
def room(sessions) -> StoredRouting:
    """The default router with the API channel named a room, routing into the SQL store."""
    return StoredRouting(sessions, RouterSettings(chat=ROOMS))


def line(number: int, sender: str, text: str, seconds: int, channel: str = "api") -> Message:
    at = T0 + timedelta(seconds=seconds)
    return Message(id=f"l{number}", channel=channel, external_id=f"l{number}", text=text, sent_at=at,
                   received_at=at, sender=Contact(channel=channel, handle=sender))


def partition(case_ids: list[int]) -> list[int]:
    """Case ids renumbered by first appearance, so two stores' answers compare."""
    first: dict[int, int] = {}
    return [first.setdefault(case_id, len(first)) for case_id in case_ids]


def route_both(room, lines: list[tuple[str, str, int]]) -> tuple[list[int], list[str]]:
    """Each (sender, text, seconds) line routed into the SQL store and into memory: the one partition both
    give, and how each line found its case."""
    messages = [line(number, sender, text, seconds) for number, (sender, text, seconds) in enumerate(lines)]
    stored = [room.route(message) for message in messages]
    memory = MemoryCases()
    in_memory = [memory.record(message, room.router.route(message, memory)) for message in messages]
    assert partition(in_memory) == partition([case_id for case_id, _ in stored])
    return partition(in_memory), [decision.thread.how for _, decision in stored]


def test_two_people_talking_past_each_other_in_one_room_are_not_merged(room):
    cases, _ = route_both(room, [
        ("client:ann", "my parcel was left in the rain and everything inside is soaked", 0),
        ("client:bob", "the app logs me out every few minutes", 5),
        ("client:ann", "the box was open too", 20),
        ("client:bob", "since the update on monday", 25),
        ("client:ann", "also my invoice shows the wrong address", 400),  # minutes later: a new matter
    ])
    assert cases == [0, 1, 0, 1, 2]


def test_an_addressed_reply_joins_the_addressees_case_and_the_answer_comes_back_to_it(room):
    cases, how = route_both(room, [
        ("client:ann", "my parcel was left in the rain and everything inside is soaked", 0),
        ("client:cy", "how do I change the delivery address on an order?", 10),
        ("client:dee", "ann: send us a photo of the box please", 60),
        ("client:dee", "cy, under orders, then change address", 70),
        ("client:ann", "dee: here it is, the label is unreadable", 200),
        ("client:cy", "that worked, thanks dee", 230),
    ])
    assert cases == [0, 1, 0, 1, 0, 1]
    assert how[2:] == ["addressed", "addressed", "addressed", "mentioned"]


def test_someone_who_answers_others_is_not_joined_to_their_own_old_question(room):
    cases, _ = route_both(room, [
        ("client:dee", "does anyone know why the tracking page is blank?", 0),
        ("client:ann", "my refund for order 4411 never arrived", 50),
        ("client:dee", "ann: which payment method did you use?", 60),  # in ann's case, not dee's
        ("client:eve", "dee: it is blank for me too", 70),  # dee's own question, still live
        ("client:ann", "card, and it has been three weeks", 75),
    ])
    assert cases == [0, 1, 1, 0, 1]


def test_a_name_finds_its_exchange_whatever_case_it_is_typed_in(room):
    cases, how = route_both(room, [
        ("client:ann", "my parcel was left in the rain and everything inside is soaked", 0),
        ("client:Dee", "ann: send us a photo of the box please", 60),
        ("client:cy", "how do I change the delivery address on an order?", 100),
        ("client:ann", "DEE: here it is, the label is unreadable", 200),
    ])
    assert cases == [0, 0, 1, 0]
    assert how[3] == "addressed"


def test_a_line_that_names_someone_without_a_colon_joins_the_case_they_opened(room):
    cases, how = route_both(room, [
        ("client:ann", "my parcel was left in the rain and everything inside is soaked", 0),
        ("client:cy", "how do I change the delivery address on an order?", 10),
        ("client:dee", "ann send us a photo of the box please", 60),
        ("client:eve", "it is under orders, then change address, cy", 70),
        ("client:fay", "parcel lockers are down again today", 200),  # "parcel" is nobody's name
    ])
    assert cases == [0, 1, 0, 1, 2]
    assert how[2:] == ["mentioned", "mentioned", "new"]


def test_a_chat_line_that_names_nobody_continues_its_senders_case_only_within_the_sender_window():
    lines = [line(0, "ann", "the kettle I bought sparks when I switch it on", 0),
             line(1, "ann", "and it smells of burning", 20),
             line(2, "ann", "it is the KX-3 model", 200)]
    for window, expected in ((ROOMS, [0, 0, 1]), (ChatSettings(rooms=["api"], sender_window=timedelta(minutes=5)),
                                                   [0, 0, 0])):
        router = build_router(RouterSettings(chat=window), AcknowledgmentSettings())
        memory = MemoryCases()
        assert partition([memory.record(message, router.route(message, memory)) for message in lines]) == expected


def test_lines_with_a_conversation_key_keep_their_case_whatever_the_gap():
    router = build_router(RouterSettings(), AcknowledgmentSettings())
    memory = MemoryCases()
    lines = [line(0, "ann", "the kettle sparks", 0, "webchat"), line(1, "ann", "still waiting", 3 * 3600, "webchat")]
    keyed = [message.model_copy(update={"thread_key": "session-1"}) for message in lines]
    assert len({memory.record(message, router.route(message, memory)) for message in keyed}) == 1


def test_addressee():
    assert addressee("bob: try again") == "bob"
    assert addressee("bob, try again") == "bob"
    assert addressee("@bob try again") == "bob"
    assert addressee("<@U024BE7LH> try again") == "U024BE7LH"
    assert addressee("try again bob") is None


def test_on_a_channel_not_named_a_room_a_keyless_message_continues_its_senders_case(store):
    # One person texting through an API bridge: hours apart, still the same complaint.
    first, _ = store.route(line(0, "client:ann", "the kettle I bought sparks when I switch it on", 0))
    later, decision = store.route(line(1, "client:ann", "any news? it is the KX-3 model", 3 * 3600))
    assert later == first and decision.thread.how == "sender_open_case"


def test_rooms_are_shell_patterns_of_channel_names():
    router = build_router(RouterSettings(chat=ChatSettings(rooms=["irc-*"])), AcknowledgmentSettings())
    memory = MemoryCases()
    lines = [line(0, "ann", "the kettle sparks", 0, "irc-ubuntu"), line(1, "ann", "still waiting", 3 * 3600, "irc-ubuntu")]
    assert len({memory.record(message, router.route(message, memory)) for message in lines}) == 2
