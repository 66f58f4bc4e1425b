"""Urgency and categories from the operator's rules and the shipped model together.

The operator's YAML rules always win when they fire: a rule that sets an
urgency decides the urgency, a rule that sets categories decides the
categories. Whatever no rule decided comes from the model, a function the
router is handed (frontdesk/judging.py wires in `classifier`, with the
thresholds of the `router.classifier` settings; the router never imports it). Every decision
keeps the reasons of both, so an operator can see what the model would have
said when a rule overrode it.
"""

from __future__ import annotations

from typing import Callable

from config.schema import RouterSettings
from frontdesk.models import FLAG_UNPARSED, URGENCY_RANK, Classification, Message, Reason
from router.rules import RuleHit


# The model judges many messages at once, each a (text, subject) pair, and answers in order: one call per
# batch lets it vectorise.
Model = Callable[[list[tuple[str, "str | None"]]], list[Classification]]


def message_text(message: Message) -> str:
    """What rules match against: the subject line, then the body."""
    return f"{message.subject}\n{message.text}" if message.subject else message.text


def combine(message: Message, hits: list[RuleHit], settings: RouterSettings, model: Classification | None
            ) -> Classification:
    """Rules first, the model's judgement (None when there is no model or it is off) for the rest, the
    configured default when there is neither."""
    rule_categories: list[str] = []
    for hit in hits:
        rule_categories.extend(c for c in hit.rule.categories if c not in rule_categories)
    rule_urgencies = [hit.rule.urgency for hit in hits if hit.rule.urgency]
    reasons = [hit.reason for hit in hits]
    unread = False
    if FLAG_UNPARSED in message.flags:
        urgency = "normal"
        reasons.append(Reason(source="policy", name="unparsed", detail="unparsed payload: a human looks at it"))
    elif rule_urgencies:
        urgency = max(rule_urgencies, key=URGENCY_RANK.__getitem__)
        if urgency == "low" and rule_categories:
            urgency = "normal"  # a complaint with a kind word is still a complaint
    elif model is not None:
        urgency = model.urgency
        unread = urgency == "low" and model.unread_language is not None and not message.public
        if unread:
            urgency = settings.default_urgency
            reasons.append(Reason(source="policy", name="unread-language", detail=(
                f"addressed to us in a language the model does not read ({model.unread_language}): "
                f"default urgency {urgency}, so that a person reads it")))
    else:
        urgency = settings.default_urgency
        reasons.append(Reason(source="policy", name="default", detail=f"no rule fired: default urgency {urgency}"))
    categories = rule_categories or (list(model.categories) if model else [])
    if unread and urgency != "low" and not rule_categories:
        categories = ["service"]  # as the model lists a complaint it finds no other category for
    if model is not None:
        reasons.extend(_model_reasons(model, urgency, bool(rule_urgencies)))
    return Classification(
        urgency=urgency, categories=tuple(categories), reasons=tuple(reasons),
        scores=dict(model.scores) if model else {}, sentiment=model.sentiment if model else None,
        opt_out=any(hit.rule.opt_out for hit in hits) or bool(model and model.opt_out),
        language=model.language if model else None, unread_language=model.unread_language if model else None,
    )


def _model_reasons(model: Classification, urgency: str, overruled: bool) -> list[Reason]:
    if overruled and model.urgency != urgency:
        return [Reason(source="policy", name="rules-win",
                       detail=f"an operator rule set urgency {urgency}; the model said {model.urgency}"),
                *model.reasons]
    return list(model.reasons)
