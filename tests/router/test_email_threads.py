"""router/email_threads.py: the email thread keys are tried in issue 3's order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from frontdesk.models import Contact, Message
from router.email_threads import resolve_email_thread

WHEN = datetime(2026, 11, 23, tzinfo=timezone.utc)


class Cases:
    """The router's CaseLookup port over two dicts: thread keys, and each sender's open case."""

    def __init__(self, keys: dict[str, int], open_cases: dict[str, int]):
        self.keys, self.open_cases = keys, open_cases

    def case_for_thread_keys(self, channel, keys):
        return next((self.keys[key] for key in keys if key in self.keys), None)

    def open_case_for_sender(self, channel, handle, since):
        return self.open_cases.get(handle)


def mail(*refs: str, sender: str = "ann@x.example") -> Message:
    return Message(id="m", channel="email", external_id="e", sender=Contact(channel="email", handle=sender),
                   text="t", thread_refs=refs, sent_at=WHEN, received_at=WHEN)


LOOKUP = Cases({"m1@x": 1, "subject:abc": 3}, {"ann@x.example": 4})


def resolve(message: Message):
    match = resolve_email_thread(message, LOOKUP, timedelta(days=14))
    return match.case_id, match.how


def test_order_token_then_references_then_case_reference_then_subject():
    assert resolve(mail("case:9", "m1@x", "subject:abc")) == (9, "reply_token")
    assert resolve(mail("m1@x", "case-ref:4", "subject:abc")) == (1, "references")
    assert resolve(mail("unknown@x", "case-ref:4", "subject:abc")) == (4, "subject_reference")
    assert resolve(mail("case-ref:7", "subject:abc")) == (3, "subject")
    assert resolve(mail("unknown@x")) == (None, "new")


def test_case_reference_from_someone_else_is_ignored():
    assert resolve(mail("case-ref:4", sender="mallory@evil.example")) == (None, "new")
