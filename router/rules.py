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
        self.regexes = [re.compile(pattern, re.IGNORECASE | re.MULTILINE) for pattern in rule.patterns]
        if rule.keywords:
            words = "|".join(keyword_regex(word) for word in sorted(rule.keywords, key=len, reverse=True))
            self.regexes.insert(0, re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE))

    def match(self, text: str) -> RuleHit | None:
        """The first match of the rule in `text`, or None."""
        for regex in self.regexes:
            found = regex.search(text)
            if found:
                return RuleHit(self.rule, found.group(0)[:80])
        return None


class RuleSet:
    """All operator rules, in configuration order."""

    def __init__(self, rules: list[RuleSettings]):
        self.rules = [CompiledRule(rule) for rule in rules]

    def hits(self, text: str) -> list[RuleHit]:
        """Every rule that fires on `text`."""
        return [hit for rule in self.rules if (hit := rule.match(text))]
