"""From calibrated head scores and guards to urgency, categories and reasons.

The combination is explicit: each urgency is reached by a named score passing a
named threshold (`Thresholds`), and the reason says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from classifier import guards
from classifier.language import language_name, language_of
from classifier.lexicon import compound
from classifier.model import LinearModel, Vector
from classifier.text import Prepared
from frontdesk.models import CATEGORIES, Classification, Reason

HIGH_CATEGORIES = ("legal", "privacy", "harassment", "financial", "regulatory")
# An incident report that is no complaint is urgent when it is about people affected, infrastructure damaged
# or a warning, and not when it is a donation appeal or other news (the model's report_* heads).
URGENT_REPORTS = {"report_affected": "people affected", "report_infrastructure": "infrastructure damaged",
                  "report_caution": "a warning"}
OTHER_REPORTS = {"report_donations": "a donation appeal", "report_other": "other news"}
# ... and low when it reads more as sympathy and support than as any kind of report.
QUIET_REPORTS = {"report_sympathy": "sympathy and support"}
REPORT_EFFECTS = ((URGENT_REPORTS, "urgent"), (OTHER_REPORTS, "not urgent"), (QUIET_REPORTS, "no case needed"))
# What the sentence embedding's pull towards a head reads as, for the reasons (pull away from `case`: "low").
TONE = {
    "case": "complaints", "low": "messages that need no case", "informative": "incident reports",
    "safety": "reports of danger or harm", "legal": "legal threats", "privacy": "privacy complaints",
    "harassment": "abuse", "financial": "money complaints", "regulatory": "complaints to a regulator",
}
# The embedding's pull is named once it moves the logit this far (a factor of about 1.6 in the odds).
TONE_SHOWN = 0.5


@dataclass(frozen=True)
class Thresholds:
    """Calibrated-probability thresholds; every field is an operator setting (router `classifier:`).

    critical: safety score for `critical` (`high` when a guard finds that nobody
    came to harm); safety_high: safety score for `high`; category: any other high-risk
    category for `high` and for being listed; harassment, financial and legal:
    the same for those, set apart because rude wording, money and refusals are
    common in ordinary complaints;
    case: a complaint needing a case (`normal`); informative: an informative
    report about an incident (`normal`); report_types: a report that is no
    complaint and was judged urgent or informative is `high` (safety) if it
    reads more as people affected, infrastructure damaged or a warning than as
    a donation appeal or other news, else `normal`; and `low` if it reads more
    as sympathy and support than as any of them; report_urgent: a report made
    urgent by its kind alone (its safety score under `safety_high`) also needs that
    kind's own score to reach this, else it is `normal`.
    """

    critical: float = 0.6
    safety_high: float = 0.6
    category: float = 0.5
    harassment: float = 0.9
    financial: float = 0.9
    legal: float = 0.9
    case: float = 0.5
    informative: float = 0.5
    guards: bool = True
    report_types: bool = True
    report_urgent: float = 0.5
    languages: tuple[str, ...] = ("en",)

    def for_category(self, category: str) -> float:
        """The listing threshold of one category."""
        return {"safety": self.safety_high, "harassment": self.harassment, "financial": self.financial,
                "legal": self.legal}.get(category, self.category)


def _model_reason(model: LinearModel, vector: Vector, head: str, score: float, why: str,
                  direction: float = 1.0) -> Reason:
    words = model.top_words(vector, head, direction=direction)
    shown = ", ".join(f"'{word}'" for word, _ in words) or "no single word"
    tone = ""
    if model.tone(vector, head, direction) >= TONE_SHOWN:
        tone = f"; overall wording resembles {TONE['low' if direction < 0 else head]}"
    return Reason(source="model", name=f"model:{head}", score=round(score, 3),
                  detail=f"{why}: {head} score {score:.2f}; words that weighed most: {shown}{tone}")


class Verdict(NamedTuple):
    """What the scores decide: the urgency, the head that drove it, the categories listed, and, when the kind of
    incident report settled it, which kind it read as (`report_*` head) and its score."""

    urgency: str
    driver: str
    categories: list[str]
    report: tuple[str, float] | None = None


def decide(scores: dict[str, float], thresholds: Thresholds, harm_denied: bool = False) -> Verdict:
    """Urgency, the head that drove it, and the categories listed, from calibrated scores and thresholds."""
    categories = [name for name in CATEGORIES[:-1] if scores[name] >= thresholds.for_category(name)]
    if scores["safety"] >= thresholds.critical and not harm_denied:
        urgency, driver = "critical", "safety"
    elif categories:
        urgency, driver = "high", max(categories, key=scores.__getitem__)
    elif scores["case"] >= thresholds.case:
        urgency, driver = "normal", "case"
    elif scores["informative"] >= thresholds.informative:
        urgency, driver = "normal", "informative"
    else:
        urgency, driver = "low", "case"
    if driver in ("safety", "informative") and thresholds.report_types and scores["case"] < thresholds.case \
            and "report_other" in scores:
        return _by_report(scores, urgency, driver, categories, thresholds.report_urgent)
    if urgency != "low" and not categories:
        categories = ["service"]
    return Verdict(urgency, driver, categories)


def _by_report(scores: dict[str, float], urgency: str, driver: str, categories: list[str],
               report_urgent: float) -> Verdict:
    """An urgent or informative report that is no complaint: its kind decides between high (safety), normal
    and, for a message of sympathy, low. Where only the kind would make it urgent (the safety score did not),
    that kind must also be likely enough (`report_urgent`): else it is normal, reading as that kind."""
    urgent = max(URGENT_REPORTS, key=scores.__getitem__)
    other = max(OTHER_REPORTS, key=scores.__getitem__)
    rest = [name for name in categories if name != "safety"]
    quiet = max((name for name in QUIET_REPORTS if name in scores), key=scores.__getitem__, default=None)
    if quiet is not None and scores[quiet] > max(scores[urgent], scores[other]) and not rest:
        return Verdict("low", "case", [], (quiet, scores[quiet]))
    if scores[urgent] > scores[other]:
        if driver != "informative":
            return Verdict(urgency, driver, categories, (urgent, scores[urgent]))
        if scores[urgent] >= report_urgent:  # the incident-report score drove it; the kind made it urgent
            return Verdict("high", "informative", ["safety"], (urgent, scores[urgent]))
        return Verdict("normal", "informative", ["service"], (urgent, scores[urgent]))
    if rest:
        return Verdict("high", max(rest, key=scores.__getitem__), rest, (other, scores[other]))
    return Verdict("normal", "informative", ["service"], (other, scores[other]))


def judge(text: str, prepared: Prepared, scores: dict[str, float], model: LinearModel,
          vector: Vector, positive: float, negative: float, thresholds: Thresholds,
          swearing: tuple[list[str], float] | None = None) -> Classification:
    """Combine head scores, guards and thresholds into one Classification. `swearing`: the message's swear words
    and its harassment score without them, when the harassment head listed it (see `classify_many`)."""
    reasons: list[Reason] = []
    sentiment = compound(positive, negative)
    harm_denied, deciding = False, scores
    if thresholds.guards:
        deciding = dict(scores)  # the scores reported stay the model's
        harm_denied, sentiment, guard_reasons = _apply_guards(text, prepared, deciding, sentiment, thresholds,
                                                              swearing)
        reasons.extend(guard_reasons)
    urgency, driver, categories, report = decide(deciding, thresholds, harm_denied)
    reasons.insert(0, _model_reason(model, vector, driver, scores[driver], f"urgency {urgency}",
                                    -1.0 if urgency == "low" else 1.0))
    if report is not None:
        reasons.insert(1, _report_reason(*report, urgency, thresholds.report_urgent))
    for name in categories:  # (safety listed by a report's kind alone has its reason above)
        if name not in ("service", driver) and scores[name] >= thresholds.for_category(name):
            reasons.append(_model_reason(model, vector, name, scores[name], f"category {name}"))
    language = language_of(prepared)
    unread = urgency == "low" and bool(thresholds.languages) and language is not None \
        and language[0] not in thresholds.languages
    if unread:
        reasons.append(_unread_reason(*language))
    opt_out = bool(guards.opt_out(text))
    return Classification(urgency=urgency, categories=tuple(categories),
                          scores={name: round(value, 4) for name, value in scores.items()},
                          reasons=tuple(reasons), sentiment=round(sentiment, 4), opt_out=opt_out,
                          language=language[0] if language else None,
                          unread_language=language[0] if unread else None)


def _unread_reason(code: str, confidence: float) -> Reason:
    return Reason(source="guard", name="guard:language", score=round(confidence, 3),
                  detail=f"written in {language_name(code)} ({code}, {confidence:.2f}), a language the model is not "
                         f"trusted to read (router.classifier.languages): its 'low' says nothing about this message")


def _report_reason(head: str, score: float, urgency: str, report_urgent: float) -> Reason:
    kinds, effect = next((kinds, effect) for kinds, effect in REPORT_EFFECTS if head in kinds)
    kind = kinds[head]
    if kinds is URGENT_REPORTS and urgency == "normal":
        effect = f"not urgent, as that is below {report_urgent:.2f} (router.classifier.report_urgent)"
    return Reason(source="model", name=f"model:{head}", score=round(score, 3),
                  detail=f"an incident report, not a complaint, reading most as {kind} ({score:.2f}): {effect}")


def _apply_guards(text: str, prepared: Prepared, scores: dict[str, float], sentiment: float,
                  thresholds: Thresholds, swearing: tuple[list[str], float] | None
                  ) -> tuple[bool, float, list[Reason]]:
    """Apply the guards that fire; `scores` is the copy the verdict is decided on (a thing's "death" takes the
    safety score out of it, swearing alone the harassment score). Returns whether harm was denied, the
    sentiment and the guards' reasons."""
    reasons: list[Reason] = []
    if swearing is not None and swearing[1] < thresholds.harassment:
        words = ", ".join(f"'{word}'" for word in dict.fromkeys(swearing[0]))
        reasons.append(Reason(source="guard", name="guard:swearing", score=round(scores["harassment"], 3),
                              detail=f"{words} is swearing, not abuse of anyone: without it the harassment "
                                     f"score is {swearing[1]:.2f}"))
        scores["harassment"] = swearing[1]
    figure = guards.figurative_harm(text) if scores["safety"] >= thresholds.safety_high else None
    if figure:
        reasons.append(Reason(source="guard", name="guard:figurative_harm", score=round(scores["safety"], 3),
                              detail=f"'{figure}' is said of a thing and nothing else speaks of harm: "
                                     f"the safety score does not count"))
        scores["safety"] = 0.0
    phrase = guards.negated_harm(text) if scores["safety"] >= thresholds.critical else None
    if phrase:
        reasons.append(Reason(source="guard", name="guard:negated_harm", score=round(scores["safety"], 3),
                              detail=f"'{phrase}': nobody came to harm, so urgency is capped at high"))
    marker = guards.sarcasm(text) if sentiment > 0 else None
    if marker:
        sentiment = -sentiment
        scores["case"] = max(scores["case"], thresholds.case)
        reasons.append(Reason(source="guard", name="guard:sarcasm",
                              detail=f"'{marker}' reads as sarcasm: praise words count as a complaint"))
    if prepared.quoted:
        reasons.append(Reason(source="guard", name="guard:quoted",
                              detail="quoted reply text was left out of the judgement"))
    return bool(phrase), sentiment, reasons
