"""classifier.language and the language guard: a message the model cannot read is never silently 'low'."""

from __future__ import annotations

import pytest

from classifier import Thresholds, classify
from classifier.language import language_name, language_of
from classifier.text import prepare

COMPLAINTS = {
    "it": "Il mio pacco è arrivato in ritardo e la scatola era danneggiata. Voglio un rimborso.",
    "es": "Mi pedido llegó tarde y la caja estaba dañada. Quiero que me devuelvan el dinero.",
    "de": "Meine Bestellung kam zu spät und der Karton war beschädigt. Ich will mein Geld zurück.",
    "fr": "Ma commande est arrivée en retard et le carton était abîmé. Je veux être remboursé.",
    "ja": "配達が遅れて箱が壊れていました。返金してください。",
}


@pytest.mark.parametrize(("code", "text"), COMPLAINTS.items())
def test_the_language_of_a_complaint_is_named(code, text):
    found = language_of(prepare(text, None))
    assert found is not None and found[0] == code and found[1] >= 0.6


@pytest.mark.parametrize("text", ["Danke!", "ok merci", "broken again", "haha brilliant", "Refund", "#FloodPH https://t.co/x @acme 100"])
def test_too_few_letters_or_no_likely_language_tell_nothing(text):
    assert language_of(prepare(text, None)) is None


def test_a_huge_message_is_judged_by_its_opening():
    assert language_of(prepare("Mi pedido llegó tarde. " + "x" * 100_000, None))[0] == "es"


UNREAD = {  # languages the glossary (classifier/glossary.py) does not cover
    "ja": COMPLAINTS["ja"],
    "pl": "Moja paczka przyszła spóźniona, a pudełko było uszkodzone. Chcę zwrotu pieniędzy.",
}


@pytest.mark.parametrize(("code", "text"), UNREAD.items())
def test_a_complaint_the_model_cannot_read_is_low_with_its_language_and_the_reason(code, text):
    result = classify(text)
    assert result.urgency == "low"  # what the English model makes of it: the router does not keep that
    assert result.unread_language == code
    [guard] = [reason for reason in result.reasons if reason.name == "guard:language"]
    assert guard.source == "guard" and guard.detail.startswith(f"written in {language_name(code)} ({code}, ")


@pytest.mark.parametrize("code", ["it", "de", "fr"])
def test_a_complaint_in_a_language_of_the_glossary_is_read_through_its_words(code):
    result = classify(COMPLAINTS[code])
    assert result.urgency == "normal" and result.unread_language is None and result.language == code


def test_english_and_the_languages_the_operator_names_are_read():
    assert classify("Thank you so much, the staff were wonderful!").unread_language is None
    assert classify(UNREAD["pl"], thresholds=Thresholds(languages=("en", "pl"))).unread_language is None
    assert classify(UNREAD["pl"], thresholds=Thresholds(languages=())).unread_language is None


def test_only_a_low_verdict_is_marked_unread():
    result = classify("Il caricabatterie ha preso fuoco: fire, smoke everywhere, my child was burned")
    assert result.urgency != "low" and result.unread_language is None


def test_language_names():
    assert (language_name("de"), language_name("xx")) == ("German", "xx")


@pytest.mark.parametrize("text", ["im sick of this already", "Don't forget to vote tomorrow", "im never drinking again lol"])
def test_short_plain_english_is_english_without_asking_fasttext(text):
    assert language_of(prepare(text, None)) == ("en", 1.0)


def test_every_verdict_names_the_language_it_could_tell():
    assert classify(COMPLAINTS["de"]).language == "de"
    assert classify("My parcel arrived late and the box was damaged.").language == "en"
    assert classify("Danke!").language is None
