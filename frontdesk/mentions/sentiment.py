"""Sentiment of a mention with VADER (Hutto & Gilbert, ICWSM 2014), a lexicon and rules made for social media.

vaderSentiment (https://github.com/cjhutto/vaderSentiment) ships its lexicon,
so nothing is downloaded. The compound score runs from -1 (most negative)
to +1; the conventional cut-offs of ±0.05 name the label. A post in another
language than English is `unscored`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

Label = Literal["negative", "neutral", "positive", "unscored"]
THRESHOLD = 0.05
MAX_CHARS = 2000
_NOISE = re.compile(r"https?://\S+|(?<!\w)@\w+")


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def score(text: str) -> float:
    """VADER's compound score of `text` (links and @handles removed first), rounded to 3 places."""
    cleaned = _NOISE.sub(" ", text[:MAX_CHARS])
    return round(_analyzer().polarity_scores(cleaned)["compound"], 3)


def label(compound: float, negative_below: float = -THRESHOLD) -> Label:
    """`negative`, `neutral` or `positive` for a compound score."""
    if compound <= negative_below:
        return "negative"
    if compound >= THRESHOLD:
        return "positive"
    return "neutral"


def scored(text: str, language: str | None, negative_below: float = -THRESHOLD) -> tuple[float, Label]:
    """VADER's compound score and label of `text`, or (0.0, `unscored`) for a text in another language than
    English: VADER's lexicon is English, and it misreads other languages' words ("sin", Spanish for "without",
    made a Spanish complaint negative; "no" is in half of them)."""
    if language not in (None, "en"):
        return 0.0, "unscored"
    compound = score(text)
    return compound, label(compound, negative_below)
