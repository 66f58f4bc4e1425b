"""classifier.train: building a model from our own examples is deterministic and learns them."""

from __future__ import annotations

import numpy as np

from classifier import classify
from classifier.corpora import load_authored
from classifier.train import build_model


def test_build_is_reproducible_and_learns_the_examples():
    examples = load_authored()
    first = build_model(examples)
    second = build_model(examples)
    assert first.vocabulary == second.vocabulary
    assert np.array_equal(first.weights, second.weights)
    assert first.embedding_dims > 0 and np.array_equal(first.embedding, second.embedding)
    assert np.array_equal(first.platt, second.platt)
    assert classify("my parcel is late again and nobody answers", model=first).urgency == "normal"
    assert classify("I'm going to sue you, my lawyer will be in touch", model=first).urgency == "high"
