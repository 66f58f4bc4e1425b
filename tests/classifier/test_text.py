"""classifier.text: quotes, tokens, negation scope, sums."""

from __future__ import annotations

from classifier.text import prepare, strip_quoted


def test_negation_marks_the_next_words_until_punctuation():
    prepared = prepare("No one was hurt, but the oven exploded")
    marked = dict(zip(prepared.tokens, prepared.negated))
    assert marked["one"] and marked["was"] and marked["hurt"]
    assert not marked["oven"] and not marked["exploded"]


def test_contractions_negate():
    prepared = prepare("it doesn't work")
    assert prepared.tokens == ("it", "doesnt", "work")
    assert prepared.negated == (False, False, True)


def test_class_tokens_for_links_handles_addresses_and_sums():
    prepared = prepare("@Acme see https://x.y/z mail me at a.b@c.org about $1,200")
    assert prepared.tokens == ("<mention>", "see", "<url>", "mail", "me", "at", "<email>", "about", "<money>")
    assert prepared.big_money


def test_small_sums_are_not_big_money():
    assert not prepare("charged me £12.50 twice").big_money
    assert prepare("charged me £2k").big_money


def test_quoted_lines_and_attribution_are_dropped():
    own, quoted = strip_quoted("Still broken.\n\nOn Tue, 1 Oct 2024, Help <help@x.com> wrote:\n> We fixed it")
    assert (own, quoted) == ("Still broken.", True)


def test_all_quote_text_is_kept_rather_than_emptied():
    assert strip_quoted("> only a quote") == ("> only a quote", False)
