"""router/judgement.py through Router.classify: rules win when they fire, the model decides the rest."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from config.schema import RouterSettings
from frontdesk.models import FLAG_UNPARSED
from tests.router.judging import message, router

FIRE_RULE = {"name": "safety.fire", "urgency": "critical", "categories": ["safety"], "keywords": ["fire"]}


def test_without_rules_the_model_decides_with_its_reasons():
    result = router().classify(message("The toaster caught fire but no one was hurt"))
    assert result.urgency == "high" and result.categories == ("safety",)
    assert [reason.source for reason in result.reasons][:2] == ["model", "guard"]
    assert result.scores["safety"] > 0 and result.sentiment is not None


def test_a_rule_that_fires_wins_and_the_model_is_still_explained():
    result = router(rules=[FIRE_RULE]).classify(message("The toaster caught fire but no one was hurt"))
    assert result.urgency == "critical"
    assert result.reasons[0].source == "rule" and result.reasons[0].name == "safety.fire"
    overruled = [reason for reason in result.reasons if reason.name == "rules-win"]
    assert overruled and "the model said high" in overruled[0].detail


def test_rule_categories_without_urgency_leave_the_urgency_to_the_model():
    rule = {"name": "service.words", "categories": ["service"], "keywords": ["sue"]}
    result = router(rules=[rule]).classify(message("I'm going to sue you, my lawyer will be in touch"))
    assert result.urgency == "high"
    assert result.categories == ("service",)


def test_praise_is_low_and_not_acknowledged():
    decision_router = router()
    result = decision_router.classify(message("Thank you so much, the staff were wonderful!"))
    assert result.urgency == "low"
    acknowledge, why = decision_router._should_acknowledge(message("x"), result)
    assert not acknowledge and "low urgency" in why


def test_thresholds_come_from_settings():
    text = "Your heater caught fire in my living room and my son was burned, we're at the hospital"
    assert router().classify(message(text)).urgency == "critical"
    assert router(classifier={"critical": 1.0}).classify(message(text)).urgency == "high"


@pytest.mark.parametrize(("category", "text"), [
    ("financial", "They charged my card twice for the same order, I want the money back"),
    ("legal", "Your manager refused to give me a refund"),
])
def test_money_and_refusals_need_their_own_threshold_to_page(category, text):
    assert router(classifier={category: 0.0}).classify(message(text)).urgency == "high"
    result = router(classifier={category: 1.0}).classify(message(text))
    assert result.urgency == "normal" and category not in result.categories


def test_model_off_falls_back_to_the_default_urgency():
    result = router(classifier={"enabled": False}, default_urgency="normal").classify(message("lol same"))
    assert result.urgency == "normal"
    assert result.reasons[0].name == "default" and result.scores == {}


def test_unparsed_payload_is_normal_whatever_the_model_says():
    assert router().classify(message("lol same", flags=frozenset({FLAG_UNPARSED}))).urgency == "normal"


def test_subject_reaches_rules_and_model():
    result = router().classify(message("see attached", subject="Formal notice of legal action"))
    assert result.urgency == "high" and "legal" in result.categories


def test_opt_out_from_the_model_guard():
    assert router().classify(message("STOP")).opt_out


def test_bad_threshold_is_refused_with_its_path():
    with pytest.raises(ValidationError, match="classifier.critical"):
        RouterSettings.model_validate({"classifier": {"critical": 2}})
    with pytest.raises(ValidationError, match="classifier.nonsense"):
        RouterSettings.model_validate({"classifier": {"nonsense": 1}})


# Polish: a language neither the model nor its glossary (classifier/glossary.py) reads.
POLISH_COMPLAINT = "Moja paczka przyszła spóźniona, a pudełko było uszkodzone. Chcę zwrotu pieniędzy."


def test_a_complaint_in_a_language_the_model_does_not_read_gets_the_default_urgency_and_an_acknowledgment():
    decision_router = router()
    result = decision_router.classify(message(POLISH_COMPLAINT))
    assert (result.urgency, result.categories, result.unread_language) == ("normal", ("service",), "pl")
    assert result.reasons[0].name == "unread-language" and "default urgency normal" in result.reasons[0].detail
    assert "guard:language" in [reason.name for reason in result.reasons]
    assert decision_router._should_acknowledge(message(POLISH_COMPLAINT), result)[0]


def test_a_public_mention_in_such_a_language_keeps_the_models_low():
    result = router().classify(message(POLISH_COMPLAINT, public=True))
    assert (result.urgency, result.unread_language) == ("low", "pl")
    assert "unread-language" not in [reason.name for reason in result.reasons]


def test_the_operators_rules_and_languages_still_decide():
    rule = {"name": "legal.pl", "urgency": "high", "categories": ["legal"], "keywords": ["prawnik"]}
    result = router(rules=[rule]).classify(message(POLISH_COMPLAINT + " Mój prawnik się z wami skontaktuje."))
    assert (result.urgency, result.categories) == ("high", ("legal",))
    read = router(classifier={"languages": ["en", "pl"]}).classify(message(POLISH_COMPLAINT))
    assert (read.urgency, read.unread_language) == ("low", None)
    default_low = router(default_urgency="low").classify(message(POLISH_COMPLAINT))
    assert (default_low.urgency, default_low.categories) == ("low", ())


def test_a_language_code_that_is_no_code_is_refused_with_its_path():
    with pytest.raises(ValidationError, match="classifier.languages.0"):
        RouterSettings.model_validate({"classifier": {"languages": ["Italian"]}})
