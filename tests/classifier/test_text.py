"""classifier.text: quotes, tokens, negation scope, sums."""

from __future__ import annotations

import pytest

from classifier.text import money_value, prepare, strip_quoted


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


@pytest.mark.parametrize(("text", "amount"), [
    ("charged 2,400 euros twice", 2400.0),
    ("€1.500,00 gone from my account", 1500.0),
    ("1500€ taken", 1500.0),
    ("a fee of EUR 300", 300.0),
    ("USD5000 withdrawal", 5000.0),
    ("5k dollars", 5000.0),
    ("lost 2 grand on this", 2000.0),
    ("paid 12,50 euros", 12.5),
    ("₹50,000 lost", 50000.0),
    ("12 kronor", 12.0),  # not 12 thousand: the k begins the currency's name
])
def test_a_sum_is_one_money_token_whichever_side_its_currency_is_written(text, amount):
    prepared = prepare(text)
    assert prepared.tokens.count("<money>") == 1
    assert [money_value(token) for token in prepared.raw_words if money_value(token)] == [amount]
    assert prepared.big_money == (amount >= 1000)


@pytest.mark.parametrize("text", ["took $12. then more", "2 grandchildren", "version 2.5.1 crashed",
                                  "I waited 1500 minutes", "1.2.3 dollars"])
def test_numbers_that_are_not_a_big_sum_are_not_big_money(text):
    assert not prepare(text).big_money


def test_quoted_lines_and_attribution_are_dropped():
    own, quoted = strip_quoted("Still broken.\n\nOn Tue, 1 Oct 2024, Help <help@x.com> wrote:\n> We fixed it")
    assert (own, quoted) == ("Still broken.", True)


def test_all_quote_text_is_kept_rather_than_emptied():
    assert strip_quoted("> only a quote") == ("> only a quote", False)
