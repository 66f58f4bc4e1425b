"""Checks before anything non-essential reaches a customer: loops, robots and opt-outs.

Acknowledgments are non-essential transactional messages: never to
auto-submitted, bulk or bounce mail, never to something we sent ourselves,
never to an opted-out address (RFC 3834, CAN-SPAM). Pages go to staff and
are essential, so only the loop rules apply to them.
"""

from __future__ import annotations

from frontdesk.models import FLAG_AUTO_SUBMITTED, FLAG_BOUNCE, FLAG_BULK, FLAG_OWN

NEVER_ANSWER = {
    FLAG_AUTO_SUBMITTED: "auto-submitted message (RFC 3834)",
    FLAG_BULK: "bulk or list mail",
    FLAG_BOUNCE: "bounce or delivery report",
    FLAG_OWN: "our own message seen again (loop)",
}


def acknowledgment_blocked(flags: list[str] | frozenset[str], opted_out: bool) -> str | None:
    """Why an acknowledgment must not go out, or None when it may."""
    for flag, why in NEVER_ANSWER.items():
        if flag in flags:
            return why
    if opted_out:
        return "recipient opted out"
    return None
