"""Email threading in the order issue 3 fixes, on top of the generic `CaseLookup`.

The email channel puts its hints in `Message.thread_refs` as keys
(see channels/email/threading.py for how they are made):

1. the provider id already seen — intake's idempotency key, before routing;
2. `case:<id>` — our own reply token (HMAC-checked at intake);
3. the Message-IDs of In-Reply-To / References, looked up as thread keys;
4. `case-ref:<id>` — a case reference in the subject, accepted only when
   that case is the sender's own open case;
5. `subject:<hash>` — the normalised subject from the same sender within
   the window (registered on the case as one of the message's own ids).

A message with none of these opens a new case: unlike other channels, an
unrelated email from the same person is a new complaint.
"""

from __future__ import annotations

from datetime import timedelta

from frontdesk.models import Message, ThreadMatch
from router.threads import CaseLookup

CASE_TOKEN = "case:"
CASE_REFERENCE = "case-ref:"
SUBJECT = "subject:"


def _ids(message: Message, prefix: str) -> list[int]:
    return [int(ref[len(prefix):]) for ref in message.thread_refs
            if ref.startswith(prefix) and ref[len(prefix):].isdigit()]


def resolve_email_thread(message: Message, lookup: CaseLookup, window: timedelta) -> ThreadMatch:
    """The case an email continues, trying the hints in the order above."""
    tokens = _ids(message, CASE_TOKEN)
    if tokens:
        return ThreadMatch(case_id=tokens[0], how="reply_token", evidence="our signed reply token")
    references = [ref for ref in message.thread_refs if not ref.startswith((CASE_TOKEN, CASE_REFERENCE, SUBJECT))]
    case_id = lookup.case_for_thread_keys(message.channel, references) if references else None
    if case_id is not None:
        return ThreadMatch(case_id=case_id, how="references", evidence="In-Reply-To / References")
    referenced = _ids(message, CASE_REFERENCE)
    if referenced:
        own = lookup.open_case_for_sender(message.channel, message.sender.handle, message.sent_at - window)
        if own in referenced:
            return ThreadMatch(case_id=own, how="subject_reference", confidence=0.95,
                               evidence="case reference in the subject, from the case's contact")
    subjects = [ref for ref in message.thread_refs if ref.startswith(SUBJECT)]
    case_id = lookup.case_for_thread_keys(message.channel, subjects) if subjects else None
    if case_id is not None:
        return ThreadMatch(case_id=case_id, how="subject", confidence=0.8,
                           evidence=f"same subject from the same sender within {window}")
    return ThreadMatch(case_id=None)
