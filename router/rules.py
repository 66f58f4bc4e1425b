"""The operator's keyword and pattern rules from YAML, compiled once and run per message."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


class CompiledRule:
    """A rule with its keywords folded into one regex and its patterns compiled."""

    def __init__(self, rule: RuleSettings):
        self.rule = rule
        self.patterns = [re.compile(pattern, re.IGNORECASE | re.MULTILINE) for pattern in rule.patterns]
        # Keywords are searched in the lower-cased text, and the word boundary before a match is checked by hand:
        # IGNORECASE and a leading look-behind keep the regex engine from skipping ahead to a keyword's first
        # letter, which made the rules several times slower than the rest of routing a short message.
        words = "|".join(keyword_regex(word.lower()) for word in sorted(rule.keywords, key=len, reverse=True))
        self.keywords = re.compile(rf"(?:{words})(?!\w)") if words else None
        # For the rare text whose lower case is longer (such as 'İ'), where positions would not line up.
        self.any_case = re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE) if words else None

    def match(self, text: str, lowered: str | None = None) -> RuleHit | None:
        """The first match of the rule in `text` (`lowered` is `text.lower()`, when the caller has it), or None."""
        if self.keywords is not None:
            lowered = text.lower() if lowered is None else lowered
            if len(lowered) != len(text):
                found = self.any_case.search(text)
            else:
                found = self.keywords.search(lowered)
                while found is not None and found.start() > 0 and _is_word(lowered[found.start() - 1]):
                    found = self.keywords.search(lowered, found.start() + 1)
            if found is not None:
                return RuleHit(self.rule, text[found.start():found.end()][:80])
        for regex in self.patterns:
            found = regex.search(text)
            if found:
                return RuleHit(self.rule, found.group(0)[:80])
        return None


def _is_word(character: str) -> bool:
    """What the regex `\\w` matches."""
    return character.isalnum() or character == "_"


class RuleSet:
    """All operator rules, in configuration order."""

    def __init__(self, rules: list[RuleSettings]):
        self.rules = [CompiledRule(rule) for rule in rules]

    def hits(self, text: str) -> list[RuleHit]:
        """Every rule that fires on `text`."""
        lowered = text.lower()
        return [hit for rule in self.rules if (hit := rule.match(text, lowered))]
