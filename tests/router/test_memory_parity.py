"""`frontdesk triage`'s in-memory store threads a conversation as the SQL store does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from config.schema import ChatSettings, RouterSettings
from frontdesk.models import Contact, Message
from frontdesk.triage import MemoryCases
from tests.router.conftest import StoredRouting

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
CHAT = [
    ("ann", "is anyone else's laptop spinning down the disk every second?"),
    ("bob", "ann: five seconds is the minimum, see hdparm"),
    ("bob", "my printer prints blank pages since the update"),
    ("cy", "bob: did you try another cartridge?"),
    ("ann", "bob: thanks, that fixed it"),
]


def chat_line(number: int, sender: str, text: str) -> Message:
    at = T0 + timedelta(minutes=number)
    return Message(id=f"c{number}", channel="webchat", external_id=f"c{number}", text=text, sent_at=at,
                   received_at=at, sender=Contact(channel="webchat", handle=sender))


def partition(case_ids: list[int]) -> list[int]:
    """Case ids renumbered by first appearance, so two stores' answers compare."""
    first: dict[int, int] = {}
    return [first.setdefault(case_id, len(first)) for case_id in case_ids]


def test_someone_who_answered_in_another_case_opens_their_own_in_memory_as_in_sql(sessions):
    store = StoredRouting(sessions, RouterSettings(chat=ChatSettings(rooms=["webchat"])))  # keyless: a room
    messages = [chat_line(number, sender, text) for number, (sender, text) in enumerate(CHAT)]
    stored = [store.route(message)[0] for message in messages]
    memory = MemoryCases()
    in_memory = [memory.record(message, store.router.route(message, memory)) for message in messages]
    assert partition(in_memory) == partition(stored) == [0, 0, 1, 1, 0]
