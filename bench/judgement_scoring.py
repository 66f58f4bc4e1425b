"""Precision, recall and F1 for the benchmark scripts (plain Python, no dependencies)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def per_class(gold: Sequence[Hashable], predicted: Sequence[Hashable],
              classes: Sequence[Hashable]) -> dict[Hashable, tuple[float, float, float]]:
    """{class: (precision, recall, F1)}; an empty denominator counts as 0."""
    figures = {}
    for label in classes:
        true_positive = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        false_positive = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        false_negative = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        precision = true_positive / (true_positive + false_positive) if true_positive + false_positive else 0.0
        recall = true_positive / (true_positive + false_negative) if true_positive + false_negative else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        figures[label] = (precision, recall, f1)
    return figures


def macro_f1(gold: Sequence[Hashable], predicted: Sequence[Hashable], classes: Sequence[Hashable]) -> float:
    """The unweighted mean of the per-class F1 scores."""
    figures = per_class(gold, predicted, classes)
    return sum(f1 for _, _, f1 in figures.values()) / len(figures)


def pairwise(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of same-cluster pairs between two clusterings of the same items."""
    def pairs(labels: Sequence[Hashable]) -> set[tuple[int, int]]:
        groups: dict[Hashable, list[int]] = {}
        for index, label in enumerate(labels):
            groups.setdefault(label, []).append(index)
        return {(a, b) for members in groups.values() for i, a in enumerate(members) for b in members[i + 1:]}

    gold_pairs, predicted_pairs = pairs(gold), pairs(predicted)
    common = len(gold_pairs & predicted_pairs)
    precision = common / len(predicted_pairs) if predicted_pairs else 1.0
    recall = common / len(gold_pairs) if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
