"""router/rules.py: keywords match whole words in any letter case, patterns are the operator's regexes."""

from __future__ import annotations

import pytest

from config.schema import RuleSettings
from router.rules import RuleSet, Screen, pattern_screen, screen


def rules(**rule) -> RuleSet:
    return RuleSet([RuleSettings.model_validate({"name": "r", "urgency": "high", **rule})])


@pytest.mark.parametrize(("keywords", "text", "matched"), [
    (["lawyer"], "My LAWYER will call you.", "LAWYER"),  # shown as written
    (["sue you"], "I will sue\n  you all", "sue\n  you"),  # a space is any run of white space
    (["harass*"], "stop harassing my mother", "harassing"),  # * is any word ending
    (["unauthori?ed"], "an Unauthorised charge", "Unauthorised"),
    (["sue you", "lawyer"], "they pursue you; my lawyer knows", "lawyer"),  # 'sue you' inside 'pursue you'
    (["spam"], "spam_filter ate it, this is spam", "spam"),  # '_' is a word letter, as \w says
    (["straße"], "Die STRASSE ist gesperrt, die Straße auch", "Straße"),
    (["ärger"], "ÄRGER mit der Lieferung", "ÄRGER"),
])
def test_keywords_match_whole_words_in_any_letter_case(keywords, text, matched):
    [hit] = rules(keywords=keywords).hits(text)
    assert hit.matched == matched
    assert hit.reason.detail.startswith(f"matched {matched!r}")


@pytest.mark.parametrize("text", ["lawyers", "mylawyer", "lawyer_x", "LAWYERLY", "a law yer"])
def test_a_keyword_inside_another_word_does_not_fire(text):
    assert rules(keywords=["lawyer"]).hits(text) == []


def test_a_letter_whose_lower_case_is_longer_still_finds_the_keyword():
    # 'İ'.lower() is two characters, so positions in the lower-cased text do not line up with the text's.
    [hit] = rules(keywords=["refund"]).hits("İİİ REFUND now")
    assert hit.matched == "REFUND"


@pytest.mark.parametrize(("keywords", "text", "matched"), [
    (["didn't sign up"], "I didn’t sign up for this", "didn’t sign up"),  # as a phone types it
    (["données d'autres clients"], "Je vois les données d’autres clients", "données d’autres clients"),
    (["didn’t sign up"], "I didn't sign up for this", "didn't sign up"),  # a keyword written either way
    (["didn't sign up"], "İ DIDN’T SIGN UP", "DIDN’T SIGN UP"),  # with a letter whose lower case is longer
])
def test_a_typographic_apostrophe_matches_a_plain_one(keywords, text, matched):
    [hit] = rules(keywords=keywords).hits(text)
    assert hit.matched == matched


def test_patterns_are_case_insensitive_multiline_regexes_after_the_keywords():
    ruleset = rules(keywords=["solicitor"], patterns=[r"^[ \t]*stop[ \t]*$"])
    assert [hit.matched for hit in ruleset.hits("thanks\nSTOP\n")] == ["STOP"]
    assert [hit.matched for hit in ruleset.hits("STOP or my solicitor writes")] == ["solicitor"]


def test_every_rule_that_fires_is_reported_in_configuration_order():
    ruleset = RuleSet([RuleSettings.model_validate(rule) for rule in (
        {"name": "legal", "urgency": "high", "keywords": ["lawyer"]},
        {"name": "money", "urgency": "high", "keywords": ["refund"]},
        {"name": "never", "urgency": "high", "keywords": ["court"]},
    )])
    assert [hit.rule.name for hit in ruleset.hits("Refund me or my lawyer calls")] == ["legal", "money"]


SCREENED_RULES = [
    {"name": "a", "urgency": "high", "keywords": ["discriminat*", "in tribunale", "e-mail", "kettle shock*"]},
    {"name": "b", "urgency": "high", "keywords": ["discrimina*", "unauthori?ed charge*"]},
    {"name": "c", "urgency": "high", "keywords": ["*fire", "lawyer"]},  # starts with a wildcard: never screened out
]


@pytest.mark.parametrize(("text", "fired"), [
    ("they discriminated against me", ["a", "b"]),  # one word starts with both rules' beginnings
    ("es discriminación", ["b"]),
    ("ci vediamo in tribunale", ["a"]),
    ("ci vediamo in ufficio", []),  # 'in' alone is no reason to search
    ("il tribunale di Roma", []),  # nor 'tribunale' without 'in'
    ("the tribunale, in fact", []),  # both words, not as the phrase: searched, and not found
    ("your E-Mail was rude", ["a"]),
    ("the kettle shocked me", ["a"]),
    ("an unauthorized charges list", ["b"]),
    ("a campfire story", ["c"]),
    ("nothing here at all", []),
])
def test_the_word_screen_finds_what_the_keywords_find(text, fired):
    ruleset = RuleSet([RuleSettings.model_validate(rule) for rule in SCREENED_RULES])
    assert [hit.rule.name for hit in ruleset.hits(text)] == fired
    assert [rule.rule.name for rule in ruleset.rules if rule.match(text)] == fired  # unscreened, the same


def test_a_keyword_is_screened_by_its_longest_word_or_its_beginning():
    assert screen(["in tribunale", "sue you", "harass*", "kettle shock*", "sue"]) == Screen(
        frozenset({"tribunale", "sue", "kettle"}), ("harass",),
        {"tribunale": (("in", "tribunale"),), "sue": (("sue",), ("sue", "you")), "kettle": (("kettle",),)})
    assert screen(["*fire"]) is None


@pytest.mark.parametrize(("pattern", "needs"), [
    (r"\bbecause\s+(?:i|we)\s+(?:am|are)\b", ("because",)),
    (r"\b(?:battery|phone)\s+(?:\w+\s+){0,3}?(?:explodes?|blew\s+up)\b", ("battery", "phone")),  # the longer shortest
    (r"(?:ab|cd)?stuck(?:\s+in)?", ("stuck",)),  # an optional part asks for nothing
    (r"^\s*stop\s*[.!]*\s*$", ("stop",)),
    (r"\bm['’](?:a|ont)\s+frapp[ée]e?s?\b", ("frapp",)),  # ASCII runs only
    (r"(?:a|bc)\w+", None),  # nothing of three letters is needed
    (r"\bgo(?:es|ne)?\b", None),
])
def test_a_pattern_is_screened_by_text_every_match_holds(pattern, needs):
    assert pattern_screen(pattern) == (frozenset(needs) if needs else None)


@pytest.mark.parametrize(("text", "fired"), [
    ("the battery blew up", ["p"]),
    ("THE BATTERY EXPLODED", ["p"]),
    ("the ſtranger was ſtuck", ["s"]),  # a long s matches "s" in a case-insensitive pattern
    ("my phone is fine", []),
])
def test_the_pattern_screen_finds_what_the_patterns_find(text, fired):
    rules = [{"name": "p", "urgency": "high", "patterns": [r"\b(?:battery|phone)\s+(?:\w+\s+){0,3}?(?:exploded|blew\s+up)"]},
             {"name": "s", "urgency": "high", "patterns": [r"\bstuck\b"]}]
    ruleset = RuleSet([RuleSettings.model_validate(rule) for rule in rules])
    assert [hit.rule.name for hit in ruleset.hits(text)] == fired
    assert [rule.rule.name for rule in ruleset.rules if rule.match(text)] == fired  # unscreened, the same
