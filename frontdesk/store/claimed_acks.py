"""Acknowledgments claimed by the routing transaction itself.

The acknowledgment of a case a batch opens, on a sender whose receivers
dedupe, is written 'sending' (attempt 1) by the transaction that routes it,
and sent right after the commit from what routing knew (workers/delivery.py):
no second transaction claims it and nothing is read back. A worker that dies
leaves it 'sending', and the sweeper sends it again under the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy.orm import Session

from frontdesk.models import Message
from frontdesk.store.cases import opted_out_among


@dataclass(frozen=True)
class ClaimedAck:
    """An acknowledgment claimed ('sending', attempt 1) in the routing transaction itself, with what rendering
    it needs, known without reading the store again: the case this batch opened (and nothing later in the
    batch changed), the stored fields of the message and its contact's name."""

    key: str
    sender: str
    target: str
    recipient: str
    case: SimpleNamespace
    message: SimpleNamespace
    contact_name: str | None
    delivery_id: int = 0


@dataclass(frozen=True)
class PlannedAck:
    """An acknowledgment the recorder found claimable when it planned it: its message and the case it opened."""

    message: Message
    language: str | None
    case_id: int
    contact_id: int


def claim_acknowledgments(session: Session, planned: dict[str, PlannedAck], deliveries: list[dict],
                          opened: dict[int, dict], names: dict[int, str | None]) -> list[ClaimedAck]:
    """Mark 'sending', in the unwritten delivery rows, the planned acknowledgments (by delivery key) whose
    recipient has not opted out, this batch included; `opened` holds the facts of the cases they opened and
    `names` their contacts' names."""
    if not planned:
        return []
    opted_out = opted_out_among(session, {(plan.message.channel, plan.message.sender.handle)
                                          for plan in planned.values()})
    claims = []
    for row in deliveries:
        plan = planned.get(row["key"])
        if plan is None or (plan.message.channel, plan.message.sender.handle) in opted_out:
            continue
        row.update(status="sending", attempts=1)
        message = plan.message
        claims.append(ClaimedAck(
            row["key"], row["sender"], row["target"], row["recipient"], SimpleNamespace(**opened[plan.case_id]),
            SimpleNamespace(id=message.id, channel=message.channel, external_id=message.external_id,
                            text=message.text, language=plan.language, reply_to=dict(message.reply_to),
                            received_at=message.received_at),
            names[plan.contact_id]))
    return claims
