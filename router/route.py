"""The router: thread, urgency, categories and what to do, with the reasons for each."""

from __future__ import annotations

from config.schema import AcknowledgmentSettings, RouterSettings
from frontdesk.models import (
    FLAG_AUTO_SUBMITTED, FLAG_BOUNCE, FLAG_BULK, FLAG_OWN, Classification, Decision, Message, Reason,
)
from router.judgement import Model, combine, message_text
from router.rules import RuleSet
from router.threading import resolve_case
from router.threads import CaseLookup

NO_ACK_FLAGS = frozenset({FLAG_AUTO_SUBMITTED, FLAG_BULK, FLAG_BOUNCE, FLAG_OWN})


class Router:
    """Decides, for one message at a time, its case and urgency and whether to acknowledge and page."""

    def __init__(self, settings: RouterSettings, acknowledgments: AcknowledgmentSettings, model: Model | None = None):
        """`model([(text, subject), …])` judges what no rule decided; frontdesk.judging.build_router supplies the
        shipped one."""
        self.settings = settings
        self.acknowledgments = acknowledgments
        self.rules = RuleSet(settings.rules)
        self.model = model

    def classify(self, message: Message) -> Classification:
        """Urgency and categories: the operator's rules when they fire, the shipped model for the rest."""
        return self.classify_many([message])[0]

    def classify_many(self, messages: list[Message | None]) -> list[Classification | None]:
        """`classify` for many messages, in order, with one call of the model; None (a payload that gave no
        message) stays None."""
        present = [message for message in messages if message is not None]
        judging = self.model is not None and self.settings.classifier.enabled and present
        judged = iter(self.model([(m.text, m.subject) for m in present]) if judging else [None] * len(present))
        return [None if message is None else combine(message, self.rules.hits(message_text(message)),
                                                      self.settings, next(judged))
                for message in messages]

    def route(self, message: Message, lookup: CaseLookup, classification: Classification | None = None) -> Decision:
        """The full decision for `message`, reading existing cases through `lookup`; `classification`, when
        given, is what `classify` said of it earlier (workers classify before taking the store's write lock)."""
        classification = classification or self.classify(message)
        thread = resolve_case(message, lookup, self.settings.thread_window, self.settings.chat)
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
