"""Sparse features of a prepared message: words, word pairs, character n-grams, lexicon cues.

A feature is named by a string (`w:refund`, `w:NOT_hurt`, `b:food poisoning`,
`c:<inj`, `d:negative`); the model's vocabulary maps names to columns. Each
feature also carries the word it came from, so a score can be explained by the
words that weighed most.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from classifier.lexicon import polarity
from classifier.text import Prepared

CHAR_SIZES = (3, 4)
MIN_CHAR_WORD = 4
PUNCTUATION = frozenset("!?.,;:")
# Placeholders that say more about where a corpus came from than about the message.
SILENT = frozenset(("<mention>", "<url>", "rt"))

# Dense cues: name -> human-readable label used in reasons.
DENSE_LABELS = {
    "d:positive": "positive wording",
    "d:negative": "negative wording",
    "d:exclaim": "exclamation marks",
    "d:caps": "shouting in capitals",
    "d:big_money": "a sum of 1,000 or more",
    "d:trouble": "words of something gone wrong",
}

# Words too common to explain anything; left out of reasons, not out of the model.
STOPWORDS = frozenset("""
a an the and or but if of to in on at by for from with about as into is are was were be been am
i me my we our you your it its this that these those he she they them their his her im ive id
do does did have has had will would can could should just so then than there here what when
""".split())

# Words that say something went wrong with a product or service; written by us.
TROUBLE = frozenset("""
broken broke breaks faulty defective damaged cracked leaking leaks leak missing lost wrong late delayed
delay delays waiting waited still again never refund refunded refunds cancel cancelled canceled
charged overcharged charge error errors crash crashed crashes crashing freezing frozen stuck
problem problems issue issues fix fixed repair worst terrible awful horrible useless rubbish
disappointed disappointing frustrated frustrating unacceptable ridiculous pathetic poor joke
complaint complain complained scam rip ripoff rude ignored ignoring nobody unhappy fail failed
fails failing failure dead died stopped doesnt didnt wont cant isnt hasnt havent worse hours
weeks days months replacement return returned sort sorted help outage down disconnected
unable impossible declined denied rejected mistake incorrect bill billed billing overdue
""".split())


@dataclass(frozen=True)
class Extracted:
    """Feature names with the word each came from, the dense cues, and the raw polarity sums."""

    names: list[str]
    words: list[str]
    dense: dict[str, float]
    positive: float
    negative: float


def _char_grams(word: str) -> list[str]:
    padded = f"<{word}>"
    grams: list[str] = []
    for size in CHAR_SIZES:
        grams.extend("c:" + padded[start:start + size] for start in range(len(padded) - size + 1))
    return grams


def dense_cues(prepared: Prepared, positive: float, negative: float) -> dict[str, float]:
    """The dense cues of a message: lexicon polarity, trouble words, exclamations, capitals, sums.

    A negated trouble word ("no problem") is no trouble. A question mark is not a cue:
    complaints ask ("why is my order late?") as often as enquiries do.
    """
    tokens = prepared.tokens
    cues = {
        "d:positive": math.log1p(positive) / 2.0,
        "d:negative": math.log1p(negative) / 2.0,
        "d:exclaim": min(prepared.exclamations, 3) / 3.0,
        "d:caps": min(prepared.caps_words, 3) / 3.0,
        "d:big_money": 1.0 if prepared.big_money else 0.0,
        "d:trouble": math.log1p(sum(1 for token, negated in zip(tokens, prepared.negated)
                                    if token in TROUBLE and not negated)) / 2.0,
    }
    return {name: value for name, value in cues.items() if value}


def token_features(token: str, negated: bool) -> list[str]:
    """The features one word contributes on its own: itself (marked if negated) and its character n-grams."""
    if negated:
        return ["w:NOT_" + token]
    if len(token) >= MIN_CHAR_WORD and token[0] != "<":
        return ["w:" + token, *_char_grams(token)]
    return ["w:" + token]


def words_of(prepared: Prepared):
    """Yield (token, shown word, negated, previous (token, shown) or None) for each feature-bearing word."""
    previous = None
    for token, negated, raw in zip(prepared.tokens, prepared.negated, prepared.raw_words):
        if token in PUNCTUATION:
            previous = None
            continue
        if token in SILENT:
            continue
        shown = "not " + raw if negated else raw
        yield token, shown, negated, previous
        previous = (token, shown)


def bigram(previous: tuple[str, str], token: str, negated: bool) -> str:
    """The feature name of a word pair; the second word carries its negation mark."""
    return f"b:{previous[0]} {'NOT_' + token if negated else token}"


def extract(prepared: Prepared) -> Extracted:
    """Name every feature of `prepared`; a negated word gets `NOT_` and no character n-grams."""
    names: list[str] = []
    words: list[str] = []
    for token, shown, negated, previous in words_of(prepared):
        own = token_features(token, negated)
        names.extend(own)
        words.extend([shown] * len(own))
        if previous is not None:
            names.append(bigram(previous, token, negated))
            words.append(f"{previous[1]} {shown}")
    positive, negative = polarity(prepared.tokens, prepared.negated)
    return Extracted(names, words, dense_cues(prepared, positive, negative), positive, negative)
