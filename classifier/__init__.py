"""Urgency, categories, calibrated scores, reasons, sentiment and language for one message.

`classify(text, subject)` and `classify_many(items)` run the shipped linear
model (`classifier/data/model.npz`, rebuilt by `python -m classifier.train`)
over word features and a sentence embedding (`classifier.embedding`, one call
per batch) and the guards, and combine them by `Thresholds`. Pure
computation: this package never touches the store or the queue.
"""

from __future__ import annotations

from collections.abc import Iterable

from classifier import guards
from classifier.judge import Thresholds, judge
from classifier.model import LinearModel, shipped
from classifier.text import prepare
from frontdesk.models import Classification

__all__ = ["Thresholds", "classify", "classify_many"]

DEFAULT_THRESHOLDS = Thresholds()


def classify(text: str, subject: str | None = None, thresholds: Thresholds = DEFAULT_THRESHOLDS,
             model: LinearModel | None = None) -> Classification:
    """Classify one message (its text and, for email, its subject)."""
    return classify_many([(text, subject)], thresholds, model)[0]


def classify_many(items: Iterable[str | tuple[str, str | None]], thresholds: Thresholds = DEFAULT_THRESHOLDS,
                  model: LinearModel | None = None) -> list[Classification]:
    """Classify many messages at once, in order; each item is a text or a (text, subject) pair."""
    model = model or shipped()
    pairs = [(item, None) if isinstance(item, str) else item for item in items]
    if not pairs:
        return []
    prepared = [prepare(text, subject) for text, subject in pairs]
    vectored = model.vectors_for(prepared)
    probabilities = model.probabilities([vector for vector, _, _ in vectored]).tolist()
    swearing = _harassment_without_swearing(pairs, probabilities, model, thresholds) if thresholds.guards else {}
    results = []
    for row, (text, _) in enumerate(pairs):
        scores = dict(zip(model.heads, probabilities[row]))
        vector, positive, negative = vectored[row]
        results.append(judge(text, prepared[row], scores, model, vector, positive, negative, thresholds,
                             swearing.get(row)))
    return results


def _harassment_without_swearing(pairs: list[tuple[str, str | None]], probabilities: list[list[float]],
                                 model: LinearModel, thresholds: Thresholds) -> dict[int, tuple[list[str], float]]:
    """For each message the harassment head lists that swears: its swear words and the harassment score of the
    same message without them (scored again, together, only for those few)."""
    head = model.heads.index("harassment")
    swearing = {}
    for row, (text, subject) in enumerate(pairs):
        if probabilities[row][head] >= thresholds.harassment:
            masked, words = guards.without_profanity(text)
            if words:
                swearing[row] = (masked, subject, words)
    if not swearing:
        return {}
    again = model.probabilities([vector for vector, _, _ in model.vectors_for(
        [prepare(masked, subject) for masked, subject, _ in swearing.values()])]).tolist()
    return {row: (words, scores[head]) for (row, (_, _, words)), scores in zip(swearing.items(), again)}
