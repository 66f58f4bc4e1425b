"""The router: thread, urgency, categories and what to do, with the reasons for each."""

from __future__ import annotations

from config.schema import AcknowledgmentSettings, RouterSettings
from frontdesk.models import (
    FLAG_AUTO_SUBMITTED, FLAG_BOUNCE, FLAG_BULK, FLAG_OWN, FLAG_UNPARSED, URGENCY_RANK, Classification, Decision,
    Message, Reason,
)
from router.rules import RuleSet
from router.threads import CaseLookup, resolve_thread

NO_ACK_FLAGS = frozenset({FLAG_AUTO_SUBMITTED, FLAG_BULK, FLAG_BOUNCE, FLAG_OWN})


class Router:
    """Decides, for one message at a time, its case and urgency and whether to acknowledge and page."""

    def __init__(self, settings: RouterSettings, acknowledgments: AcknowledgmentSettings):
        self.settings = settings
        self.acknowledgments = acknowledgments
        self.rules = RuleSet(settings.rules)

    def classify(self, message: Message) -> Classification:
        """Urgency and categories from the operator's rules; the highest urgency that fired wins."""
        text = f"{message.subject}\n{message.text}" if message.subject else message.text
        hits = self.rules.hits(text)
        categories: list[str] = []
        for hit in hits:
            categories.extend(c for c in hit.rule.categories if c not in categories)
        urgencies = [hit.rule.urgency for hit in hits if hit.rule.urgency]
        if FLAG_UNPARSED in message.flags:
            urgency = "normal"
        elif not urgencies:
            urgency = self.settings.default_urgency
        else:
            urgency = max(urgencies, key=URGENCY_RANK.__getitem__)
            if urgency == "low" and categories:
                urgency = "normal"  # a complaint with a kind word is still a complaint
        reasons = tuple(hit.reason for hit in hits) or (
            Reason(source="policy", name="default", detail=f"no rule fired: default urgency {urgency}"),)
        return Classification(
            urgency=urgency, categories=tuple(categories), reasons=reasons,
            opt_out=any(hit.rule.opt_out for hit in hits),
        )

    def route(self, message: Message, lookup: CaseLookup) -> Decision:
        """The full decision for `message`, reading existing cases through `lookup`."""
        classification = self.classify(message)
        thread = resolve_thread(message, lookup, self.settings.thread_window)
        acknowledge, why = self._should_acknowledge(message, classification)
        page = classification.urgency in self.settings.page_urgencies and not (message.flags & NO_ACK_FLAGS)
        reasons = list(classification.reasons)
        reasons.append(Reason(source="thread", name=thread.how, detail=thread.evidence or "opens a new case"))
        reasons.append(Reason(source="policy", name="acknowledge" if acknowledge else "no-acknowledgment", detail=why))
        if page:
            reasons.append(Reason(source="policy", name="page",
                                  detail=f"urgency {classification.urgency} is in page_urgencies"))
        return Decision(message_id=message.id, thread=thread, classification=classification,
                        acknowledge=acknowledge, page=page, reasons=tuple(reasons))

    def _should_acknowledge(self, message: Message, classification: Classification) -> tuple[bool, str]:
        flags = message.flags & NO_ACK_FLAGS
        if flags:
            return False, "never answered: " + ", ".join(sorted(flags))
        if classification.urgency == "low" and not self.acknowledgments.acknowledge_low:
            return False, "low urgency: recorded, not acknowledged"
        return True, "complaint: acknowledge once per case and sender"
