"""classifier/glossary.py: the words of six more languages the model reads as English, and nothing English."""

from __future__ import annotations

import pytest

from classifier import classify
from classifier.glossary import GLOSSARY
from classifier.language import language_of
from classifier.lexicon import valences
from classifier.text import prepare

# English words that are also words of those languages, with another meaning: never read as something else.
FALSE_FRIENDS = """brand gift kind case once sin fine die hell art also man bad arm rock mist rot rat
pie son sale real data retard super toll sang rota llamas doe dons fast bald will see red
menace aide pirate vole blesses kinder genial adore rook tot preso burro""".split()
# Loanwords English writers use in the same sense; reading them as the English word changes nothing.
SAME_SENSE = {"fantastico"}


def test_no_english_word_is_read_as_another():
    assert not [word for word in FALSE_FRIENDS if word in GLOSSARY]
    english = valences()
    assert not [word for word in GLOSSARY if word in english and word not in SAME_SENSE]


def test_every_reading_is_one_english_word_and_accents_may_be_left_out():
    assert all(reading.isascii() and reading.isalpha() for reading in GLOSSARY.values())
    assert GLOSSARY["verletzt"] == "injured" and GLOSSARY["incêndio"] == GLOSSARY["incendio"] == "fire"
    assert GLOSSARY["fumee"] == "smoke"  # fumée, typed on a phone


def test_the_model_reads_the_english_word_and_the_guards_its_negation():
    prepared = prepare("Nessuno è rimasto ferito, ma la cucina è distrutta")
    assert prepared.written[:4] == ("nessuno", "è", "rimasto", "ferito")
    assert prepared.tokens[:4] == ("nobody", "è", "rimasto", "injured")
    assert prepared.negated[3]  # "nobody … injured": the guard's negation scope
    assert "destroyed" in prepared.tokens and "distrutta" in prepared.raw_words


def test_the_language_is_told_from_the_words_as_written():
    text = "C'è stata un'esplosione in cucina, due persone sono ferite e la casa è distrutta"
    assert language_of(prepare(text))[0] == "it"


@pytest.mark.parametrize("text", [  # each judged low (and unread) without the glossary
    "Die Heizung ist explodiert, meine Tochter ist verletzt und im Krankenhaus",
    "Le chauffe-eau a explosé, mon fils est blessé et à l'hôpital",
    "O aquecedor explodiu e a minha filha ficou ferida, está no hospital",
    "De kachel is ontploft, mijn dochter is gewond",
])
def test_a_report_of_people_hurt_in_another_language_is_urgent_and_explained_in_its_words(text):
    result = classify(text)
    assert result.urgency in ("critical", "high") and "safety" in result.categories, result
    shown = " ".join(reason.detail for reason in result.reasons if reason.source == "model")
    assert not {"injured", "dead", "explosion", "exploded"} & set(shown.replace(",", " ").split()), shown


def test_no_one_hurt_keeps_a_report_in_another_language_below_critical():
    assert classify("Es gab einen kleinen Brand in der Küche, aber niemand wurde verletzt").urgency != "critical"
