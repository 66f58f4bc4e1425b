"""frontdesk.mentions.store: what an indexed mention says about its language."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from frontdesk.mentions.store import mention_row, network_language
from frontdesk.models import Contact, Message

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def post(text: str, language: str | None = None) -> Message:
    return Message(id="m1", channel="x", external_id="1", sender=Contact(channel="x", handle="42"), text=text,
                   sent_at=NOW, received_at=NOW, public=True, language=language)


def test_the_classifiers_language_comes_first_then_the_networks():
    assert mention_row(post("Mi pedido no llegó", "pt"), "normal", None, language="es").language == "es"
    assert mention_row(post("¡Qué mal!", "es"), "low", None).language == "es"  # too short for us: the network's
    assert mention_row(post("ok"), "low", None).language is None


@pytest.mark.parametrize(("tag", "code"), [("es", "es"), ("pt-BR", "pt"), ("EN", "en"), ("und", None),
                                           ("qme", None), ("zxx", None), ("", None), (None, None)])
def test_a_networks_tag_counts_only_when_it_names_a_language(tag, code):
    assert network_language(tag) == code


def test_a_mention_in_another_language_is_unscored_and_one_in_english_is_scored():
    spanish = mention_row(post("Mi pedido lleva tres semanas sin llegar y nadie contesta"), "normal", None,
                          language="es")
    assert (spanish.sentiment, spanish.sentiment_label) == (0.0, "unscored")
    english = mention_row(post("my order never arrived and support is useless"), "normal", None, language="en")
    assert english.sentiment_label == "negative" and english.sentiment < 0
