"""frontdesk.mentions.sentiment: VADER's compound score and its labels on social text."""

from frontdesk.mentions.sentiment import label, score, scored


def test_complaint_is_negative_and_praise_positive():
    assert label(score("@acme my order never arrived and support is useless")) == "negative"
    assert label(score("love the new app, great job @acme!")) == "positive"


def test_links_and_handles_do_not_move_the_score():
    assert score("@happy_hour https://t.co/great where is my parcel?") == score("where is my parcel?")
    assert label(score("where is my parcel?")) == "neutral"


def test_empty_and_huge_texts_are_scored():
    assert score("") == 0.0
    assert -1.0 <= score("terrible " * 10_000) <= 1.0


def test_label_threshold_is_configurable():
    assert label(-0.1, negative_below=-0.3) == "neutral"
    assert label(-0.3, negative_below=-0.3) == "negative"


def test_a_post_in_another_language_is_unscored_not_misread():
    spanish = "Mi pedido lleva tres semanas sin llegar y nadie contesta"
    assert label(score(spanish)) == "negative"  # VADER reads the Spanish "sin" ("without") as an English sin
    assert scored(spanish, "es") == (0.0, "unscored")
    english = "@acme my order never arrived and support is useless"
    assert scored(english, "en")[1] == scored(english, None)[1] == "negative"  # English, or untold: VADER judges
