"""The operator's keyword and pattern rules from YAML, compiled once and run per message."""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parse
from dataclasses import dataclass
from typing import NamedTuple

from config.schema import RuleSettings
from frontdesk.models import Reason


@dataclass(frozen=True)
class RuleHit:
    """One rule that fired, with the text that made it fire."""

    rule: RuleSettings
    matched: str

    @property
    def reason(self) -> Reason:
        """The human-readable reason this hit contributes to a decision."""
        what = []
        if self.rule.urgency:
            what.append(f"urgency {self.rule.urgency}")
        if self.rule.categories:
            what.append("category " + ", ".join(self.rule.categories))
        if self.rule.opt_out:
            what.append("opt-out request")
        return Reason(source="rule", name=self.rule.name, detail=f"matched {self.matched!r}: {'; '.join(what)}")


def keyword_regex(keyword: str) -> str:
    """A keyword as a whole-word, case-insensitive regex: `*` is any word ending, `?` any one letter."""
    parts = re.split(r"([*?])", keyword.strip())
    pattern = "".join({"*": r"\w*", "?": r"\w"}.get(part, re.escape(part)) for part in parts)
    return pattern.replace(r"\ ", r"\s+")


class Screen(NamedTuple):
    """What a text must hold for one of a rule's keywords to match: one of `words` as a whole word, or a word
    beginning with one of `prefixes` (the first word of a keyword such as "harass*"). `phrases` gives, for
    each of `words`, the whole words of the keywords it stands for: a text with "failure" but not "brake"
    cannot hold "brake failure", and a common word found alone is then settled without the regex."""

    words: frozenset[str]
    prefixes: tuple[str, ...]
    phrases: dict[str, tuple[tuple[str, ...], ...]]


class Seen(NamedTuple):
    """One message as the screens read it: its lower case, its words, the word beginnings of all rules
    found in it (the longest at each word), and whether pattern screens are exact for it (it holds none of
    the four letters a case-insensitive pattern matches to an ASCII letter, such as the Kelvin sign)."""

    lowered: str
    words: frozenset[str]
    prefixes: tuple[str, ...]
    screenable: bool = False
    parts: frozenset[str] | None = None  # which of the rule set's pattern screen texts it holds (None: not asked)


class CompiledRule:
    """A rule with its keywords folded into one regex and its patterns compiled."""

    def __init__(self, rule: RuleSettings):
        self.rule = rule
        self.patterns = [re.compile(pattern, re.IGNORECASE | re.MULTILINE) for pattern in rule.patterns]
        # A case-insensitive pattern is tried at every position of the text; most texts lack a word it needs.
        self.pattern_screens = [pattern_screen(pattern) for pattern in rule.patterns]
        # Keywords are searched in the lower-cased text, and the word boundary before a match is checked by hand:
        # IGNORECASE and a leading look-behind keep the regex engine from skipping ahead to a keyword's first
        # letter, which made the rules several times slower than the rest of routing a short message.
        words = "|".join(keyword_regex(fold(word)) for word in sorted(rule.keywords, key=len, reverse=True))
        self.keywords = re.compile(rf"(?:{words})(?!\w)") if words else None
        # For the rare text whose lower case is longer (such as 'İ'), where positions would not line up.
        self.any_case = re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE) if words else None
        # A rule with keywords in six languages leaves that regex nothing to skip ahead on either: a set
        # lookup of the message's words first tells most messages apart, at a fraction of the cost.
        self.screen = screen(rule.keywords)

    def match(self, text: str, seen: Seen | None = None) -> RuleHit | None:
        """The first match of the rule in `text`, or None; `seen` is the text as `see` reads it for the rule
        set, which lets the screen pass over it (without it, the keywords are searched)."""
        if self.keywords is not None:
            lowered = seen.lowered if seen is not None else fold(text)
            if len(lowered) != len(text):
                found = self.any_case.search(text.translate(_APOSTROPHES))
            elif seen is not None and not self._may_match(seen):
                found = None
            else:
                found = self.keywords.search(lowered)
                while found is not None and found.start() > 0 and _is_word(lowered[found.start() - 1]):
                    found = self.keywords.search(lowered, found.start() + 1)
            if found is not None:
                return RuleHit(self.rule, text[found.start():found.end()][:80])
        for regex, needs in zip(self.patterns, self.pattern_screens):
            if needs and seen is not None and seen.screenable and (
                    needs.isdisjoint(seen.parts) if seen.parts is not None
                    else not any(part in seen.lowered for part in needs)):
                continue
            found = regex.search(text)
            if found:
                return RuleHit(self.rule, found.group(0)[:80])
        return None

    def _may_match(self, seen: Seen) -> bool:
        if self.screen is None:
            return True
        found = self.screen.words & seen.words
        if found and any(all(word in seen.words for word in phrase)
                         for word in found for phrase in self.screen.phrases[word]):
            return True
        return any(beginning.startswith(self.screen.prefixes) for beginning in seen.prefixes)


_WORD = re.compile(r"\w+")


def screen(keywords: list[str]) -> Screen | None:
    """For each keyword, its longest whole word (a rarer word tells more texts apart) with all its whole words
    (the phrase that word stands for), or, for a keyword that is one word ending in a wildcard, that word's
    beginning; None when some keyword has no word before its first wildcard ("*fire")."""
    phrases: dict[str, set[tuple[str, ...]]] = {}
    prefixes: set[str] = set()
    for keyword in keywords:
        head, *wildcard = re.split(r"[*?]", fold(keyword.strip()), maxsplit=1)
        found = list(_WORD.finditer(head))
        if wildcard and found and found[-1].end() == len(head):
            found, beginning = found[:-1], found[-1].group()  # "kettle shock*": 'shock' may go on
            if not found:
                prefixes.add(beginning)
                continue
        if not found:
            return None
        whole = tuple(match.group() for match in found)
        phrases.setdefault(max(whole, key=len), set()).add(whole)
    return Screen(frozenset(phrases), tuple(sorted(prefixes, key=len, reverse=True)),
                  {word: tuple(sorted(group)) for word, group in phrases.items()})


# Every character but an ASCII one that an ASCII character matches under IGNORECASE (found by trying them all).
_LOOKALIKES = re.compile("[\u0130\u0131\u017f\u212a]")
MIN_SCREEN = 3  # the shortest text a pattern screen may ask for: shorter ones are in nearly every message
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def pattern_screen(pattern: str) -> frozenset[str] | None:
    """Texts in lower-case ASCII one of which every match of `pattern` holds, or None when no such set of
    texts of MIN_SCREEN characters or more is found.

    Read from the parsed pattern: runs of ASCII characters it must match in a row, through groups,
    alternatives (one text per alternative) and repeats of at least one; of all it must match, the set whose
    shortest text is longest. With IGNORECASE an ASCII character matches only its own cases, except that
    "i", "s" and "k" also match "İ", "ı", "ſ" and the Kelvin sign: a message holding one of those is always
    searched (see `see`).
    """
    try:
        needs = _required(list(sre_parse.parse(pattern, re.IGNORECASE)))
    except Exception:  # the parser is the standard library's own, not public API: unscreened if it changes
        return None
    return frozenset(needs) if needs and min(map(len, needs)) >= MIN_SCREEN else None


def _required(items: list) -> tuple[str, ...] | None:
    """The strongest set of texts (see pattern_screen) a sequence of parsed items must hold one of."""
    candidates: list[tuple[str, ...]] = []
    run: list[str] = []
    for op, value in [*items, (None, None)]:
        if op is sre.LITERAL and value < 128:
            run.append(chr(value).lower())
            continue
        if run:
            candidates.append(("".join(run),))
            run = []
        if op is sre.SUBPATTERN:
            found = _required(list(value[-1]))
        elif op is sre.ATOMIC_GROUP:
            found = _required(list(value))
        elif op in _REPEATS and value[0] >= 1:
            found = _required(list(value[2]))
        elif op is sre.BRANCH:
            each = [_required(list(branch)) for branch in value[1]]
            found = None if any(part is None for part in each) else tuple(sorted({t for part in each for t in part}))
        else:
            found = None
        if found:
            candidates.append(found)
    return max(candidates, key=lambda texts: min(map(len, texts)), default=None)


# Phones type "didn’t" and "d’autres"; keywords are written with the plain apostrophe. One character for
# one, so a match's position in the folded text is its position in the message.
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})


def fold(text: str) -> str:
    """`text` in lower case with typographic apostrophes made plain: what keywords are matched against."""
    return text.lower().translate(_APOSTROPHES)


def see(text: str, prefixes: re.Pattern | None, parts: tuple[str, ...] | None = None) -> Seen:
    """`text` as the screens read it; `prefixes` finds the rule set's word beginnings at the start of a word,
    `parts` are the texts of all its pattern screens, each looked for once here instead of once per pattern."""
    lowered = fold(text)
    screenable = text.isascii() or _LOOKALIKES.search(text) is None
    return Seen(lowered, frozenset(_WORD.findall(lowered)), tuple(prefixes.findall(lowered)) if prefixes else (),
                screenable, frozenset(part for part in parts if part in lowered) if parts is not None else None)


def _is_word(character: str) -> bool:
    """What the regex `\\w` matches."""
    return character.isalnum() or character == "_"


class RuleSet:
    """All operator rules, in configuration order."""

    def __init__(self, rules: list[RuleSettings]):
        self.rules = [CompiledRule(rule) for rule in rules]
        prefixes = sorted({prefix for rule in self.rules if rule.screen for prefix in rule.screen.prefixes},
                          key=len, reverse=True)
        # One search for every rule's word beginnings; at a word that starts with several, the longest is found,
        # and the shorter ones are its own beginnings.
        self.prefixes = re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, prefixes))})") if prefixes else None
        self.parts = tuple(sorted({part for rule in self.rules for needs in rule.pattern_screens if needs
                                   for part in needs}))

    def hits(self, text: str) -> list[RuleHit]:
        """Every rule that fires on `text`."""
        seen = see(text, self.prefixes, self.parts)
        return [hit for rule in self.rules if (hit := rule.match(text, seen))]
