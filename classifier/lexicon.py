"""Word valence from the VADER lexicon (Hutto & Gilbert 2014, MIT), shipped by `vaderSentiment`.

Only the lexicon file is read (package data of vaderSentiment 3.3.x,
`vader_lexicon.txt`: token, mean valence -4..4, …); VADER's rule engine is not
used, because its speed (a few thousand texts a second) would dominate ours.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def valences() -> dict[str, float]:
    """Return {lower-case token: valence in [-4, 4]} for single-word entries."""
    text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    table: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or " " in parts[0]:
            continue
        try:
            table[parts[0].lower()] = float(parts[1])
        except ValueError:
            continue
    return table


def polarity(tokens: tuple[str, ...], negated: tuple[bool, ...]) -> tuple[float, float]:
    """Sum positive and negative valence of `tokens`, a negated word counting with its sign flipped."""
    table = valences()
    positive = negative = 0.0
    for token, flip in zip(tokens, negated):
        value = table.get(token)
        if value is None:
            continue
        if flip:
            value = -0.5 * value
        if value > 0:
            positive += value
        else:
            negative -= value
    return positive, negative


def compound(positive: float, negative: float) -> float:
    """VADER's normalisation of a valence sum into [-1, 1]."""
    total = positive - negative
    return total / math.sqrt(total * total + 15.0)
