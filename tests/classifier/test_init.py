"""classifier.classify / classify_many: behaviour pinned on small fixed examples."""

from __future__ import annotations

import pytest

from classifier import Thresholds, classify, classify_many
from frontdesk.models import Classification


def test_clear_emergency_is_critical_with_its_reason():
    result = classify("Your heater caught fire in my living room and my son was burned, we're at the hospital")
    assert result.urgency == "critical"
    assert "safety" in result.categories
    first = result.reasons[0]
    assert first.source == "model" and first.name == "model:safety"
    assert "'burned'" in first.detail and first.score >= Thresholds().critical


def test_no_one_was_hurt_is_not_critical_and_says_why():
    result = classify("The toaster caught fire but no one was hurt")
    assert result.urgency != "critical"
    guard = [reason for reason in result.reasons if reason.source == "guard"]
    assert guard and guard[0].name == "guard:negated_harm" and "no one was hurt" in guard[0].detail


def test_without_guards_the_same_text_is_critical_so_the_guard_does_the_work():
    assert classify("The toaster caught fire but no one was hurt",
                    thresholds=Thresholds(guards=False)).urgency == "critical"


@pytest.mark.parametrize("text", [
    "This update killed my battery life.",
    "The battery died after an hour",
    "The update bricked my phone, it's dead now",
    "The sound quality is fire",
])
def test_a_things_death_is_an_ordinary_complaint_and_says_why(text):
    assert classify(text, thresholds=Thresholds(guards=False)).urgency == "critical"  # the model alone
    result = classify(text)
    assert (result.urgency, result.categories) == ("normal", ("service",))
    guard = [reason for reason in result.reasons if reason.name == "guard:figurative_harm"]
    assert guard and "said of a thing" in guard[0].detail
    assert result.scores["safety"] >= Thresholds().critical  # the model's score is still reported


@pytest.mark.parametrize("text", [
    "My phone battery died and then it started smoking and burnt my hand",
    "The battery is dead and the car broke down on the motorway at night with my kids",
])
def test_a_things_death_beside_real_harm_leaves_the_danger_standing(text):
    result = classify(text)
    assert result.urgency == "critical"
    assert "guard:figurative_harm" not in [reason.name for reason in result.reasons]


@pytest.mark.parametrize("text", ["@FitbitSupport your flex 2 is shit. Never tracks a swim.",
                                  "your app is shit"])
def test_swearing_about_a_product_is_no_harassment_and_says_why(text):
    assert "harassment" in classify(text, thresholds=Thresholds(guards=False)).categories  # the model alone
    result = classify(text)
    assert "harassment" not in result.categories and result.urgency in ("normal", "low")
    guard = [reason for reason in result.reasons if reason.name == "guard:swearing"]
    assert guard and "is swearing, not abuse of anyone" in guard[0].detail


def test_abuse_that_stands_without_the_swearing_is_still_harassment():
    result = classify("Your manager is a racist piece of shit")
    assert "harassment" in result.categories and result.urgency == "high"


@pytest.mark.parametrize("text", [
    "Thank you so much, the staff were wonderful and my order arrived early!",
    "Love the new menu, great job team",
    "lol same",
])
def test_praise_and_chit_chat_are_low(text):
    result = classify(text)
    assert result.urgency == "low" and result.categories == ()


def test_praise_has_positive_sentiment_and_a_complaint_negative():
    assert classify("Love the new menu, great job team").sentiment > 0.3
    assert classify("Terrible service, my order is late again and nobody answers").sentiment < 0


def test_legal_threat_is_high_and_legal():
    result = classify("If my refund isn't paid by Friday my solicitor will start court proceedings")
    assert result.urgency == "high"
    assert "legal" in result.categories
    assert result.reasons[0].name == "model:legal"


@pytest.mark.parametrize(("text", "category"), [
    ("Your company leaked my personal data and now I'm getting scam calls", "privacy"),
    ("Someone took $4,500 from my account through your app", "financial"),
    ("your app charged my card twice, 2,400 euros gone, fix it now", "financial"),
    ("I was charged 5000 dollars for a service I cancelled in March", "financial"),
    ("I've reported you to the ombudsman", "regulatory"),
])
def test_other_high_risk_categories(text, category):
    result = classify(text)
    assert result.urgency == "high" and category in result.categories


def test_ordinary_complaint_is_normal_service():
    result = classify("my parcel is late again")
    assert (result.urgency, result.categories) == ("normal", ("service",))


def test_a_plain_complaint_about_a_refund_is_not_a_regulator_case():
    result = classify("I want to complain about a refund")
    assert result.urgency == "normal"
    assert set(result.categories) <= {"service", "financial"}


@pytest.mark.parametrize("text", [
    "Waited on hold most of the afternoon and then got cut off",
    "why was my booking cancelled without anyone telling me?",
    "The soles of my new boots split after a week",
    "still no internet after three days, sort it out",
    "Charged twice for the same meal and the restaurant won't answer",
])
def test_clear_complaints_need_a_case(text):
    assert classify(text).urgency in ("normal", "high")


@pytest.mark.parametrize("text", [
    "Do you deliver to the Shetland islands?",
    "Got my new bike today and I am made up with it",
    "Thanks, all sorted now, have a good weekend",
    "ha, my nan would love this",
    "Brilliant, cheers for getting back to me so fast",
])
def test_questions_praise_and_chatter_need_no_case(text):
    assert classify(text).urgency == "low"


def test_fire_without_injury_is_paged_as_safety():
    result = classify("My tumble dryer caught fire and the kitchen filled with smoke")
    assert result.urgency in ("high", "critical") and "safety" in result.categories


def test_sarcasm_guard_turns_praise_words_into_a_complaint():
    result = classify("Oh great, another delay. Thanks a lot.")
    assert result.urgency == "normal"
    assert any(reason.name == "guard:sarcasm" for reason in result.reasons)
    assert result.sentiment < 0


def test_quoted_reply_text_is_left_out():
    result = classify("> On Monday you wrote:\n> the fire alarm is broken and sparking\nThanks, all sorted now!")
    assert result.urgency == "low"
    assert any(reason.name == "guard:quoted" for reason in result.reasons)


def test_opt_out_request_is_flagged():
    assert classify("STOP").opt_out
    assert classify("Please unsubscribe me from these emails").opt_out
    assert not classify("Don't stop the music").opt_out


def test_subject_counts():
    plain = classify("see attached", subject=None)
    with_subject = classify("see attached", subject="Formal notice of legal action")
    assert "legal" not in plain.categories
    assert with_subject.urgency == "high" and "legal" in with_subject.categories


def test_batch_matches_single_and_keeps_order():
    texts = ["lol same", ("see attached", "Formal notice of legal action"), "my parcel is late again"]
    batch = classify_many(texts)
    assert [result.urgency for result in batch] == ["low", "high", "normal"]
    assert batch[1] == classify("see attached", "Formal notice of legal action")
    assert classify_many([]) == []


@pytest.mark.parametrize("text", ["", "   ", "!!!???", "\x00\x01", "@someone https://t.co/x", "😀" * 50])
def test_degenerate_input_is_classified_not_crashed(text):
    result = classify(text)
    assert isinstance(result, Classification) and result.urgency in ("low", "normal")


def test_huge_input_is_bounded_and_scores_are_probabilities():
    result = classify("my order is late. " * 200_000)
    assert result.urgency == "normal"
    assert all(0.0 <= score <= 1.0 for score in result.scores.values())
    assert set(result.scores) >= {"case", "safety", "legal", "privacy", "harassment", "financial", "regulatory"}


def test_reasons_keep_the_words_and_name_the_overall_wording():
    detail = classify("my parcel is late again and nobody answers").reasons[0].detail
    assert "'late'" in detail and "overall wording resembles complaints" in detail
    assert "resembles messages that need no case" in classify("Thanks, all sorted now, have a good weekend").reasons[0].detail
