"""Thread resolution: which existing case a message continues, if any.

The router reads the store only through `CaseLookup`, which the SQL store
and the in-memory store of `frontdesk triage` both implement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from frontdesk.models import Message, ThreadMatch


class CaseLookup(Protocol):
    """The questions the router asks the case store."""

    def case_for_thread_keys(self, channel: str, keys: Sequence[str]) -> int | None:
        """The case any of these channel thread keys (conversation or message ids) leads to."""
        ...

    def open_case_for_sender(self, channel: str, handle: str, since: datetime) -> int | None:
        """The sender's most recent open case on this channel with a message since `since`."""
        ...

    def open_case_for_email(self, email: str, since: datetime) -> int | None:
        """The most recent open case, on any channel, of a contact with this verified email, active since `since`."""
        ...

    def cases_for_keys(self, keys: Sequence[str], since: datetime) -> dict[int, int]:
        """{case id: how many of these thread keys, on any channel, lead to it}, cases active since `since`."""
        ...


def thread_keys(message: Message) -> list[str]:
    """The keys under which a message may continue a case: its conversation key, then its references."""
    keys = [message.thread_key] if message.thread_key else []
    keys.extend(ref for ref in message.thread_refs if ref not in keys)
    return keys


def resolve_thread(message: Message, lookup: CaseLookup, window: timedelta) -> ThreadMatch:
    """Thread key first, then the sender's open case on the same channel within the window."""
    keys = thread_keys(message)
    if keys:
        case_id = lookup.case_for_thread_keys(message.channel, keys)
        if case_id is not None:
            return ThreadMatch(case_id=case_id, how="thread_key", evidence="same conversation key")
    if message.thread_key is None:
        case_id = lookup.open_case_for_sender(message.channel, message.sender.handle, message.sent_at - window)
        if case_id is not None:
            return ThreadMatch(case_id=case_id, how="sender_open_case", confidence=0.9,
                               evidence=f"same sender, open case within {window}")
    return ThreadMatch(case_id=None)
