"""classifier.judge.decide: how scores and thresholds become urgency, categories and the report kind."""

from __future__ import annotations

from classifier import Thresholds, classify
from classifier.judge import decide

QUIET = {"case": 0.1, "informative": 0.1, "safety": 0.1, "legal": 0.0, "privacy": 0.0, "harassment": 0.0,
         "financial": 0.0, "regulatory": 0.0, "report_affected": 0.1, "report_infrastructure": 0.1,
         "report_caution": 0.1, "report_donations": 0.1, "report_other": 0.1, "report_sympathy": 0.1}


def scores(**changed: float) -> dict[str, float]:
    return QUIET | changed


def test_a_report_of_danger_that_is_about_people_affected_stays_critical_and_says_so():
    verdict = decide(scores(safety=0.9, informative=0.9, report_affected=0.7, report_other=0.2), Thresholds())
    assert (verdict.urgency, verdict.categories, verdict.report) == ("critical", ["safety"], ("report_affected", 0.7))


def test_a_report_that_reads_as_a_donation_appeal_is_normal_not_paged():
    verdict = decide(scores(safety=0.9, informative=0.9, report_donations=0.6, report_affected=0.3), Thresholds())
    assert (verdict.urgency, verdict.driver, verdict.categories) == ("normal", "informative", ["service"])
    assert verdict.report == ("report_donations", 0.6)


def test_an_informative_report_about_damaged_infrastructure_is_high_safety():
    verdict = decide(scores(informative=0.8, report_infrastructure=0.6), Thresholds())
    assert (verdict.urgency, verdict.driver, verdict.categories) == ("high", "informative", ["safety"])
    assert verdict.report == ("report_infrastructure", 0.6)


def test_a_complaint_is_never_judged_by_the_kind_of_report():
    danger = scores(case=0.8, safety=0.9, report_other=0.9)
    assert decide(danger, Thresholds()) == ("critical", "safety", ["safety"], None)


def test_a_report_that_only_its_kind_makes_urgent_needs_that_kind_to_be_likely():
    unsure = scores(informative=0.8, report_affected=0.4, report_other=0.2)
    assert decide(unsure, Thresholds()) == ("normal", "informative", ["service"], ("report_affected", 0.4))
    assert decide(unsure, Thresholds(report_urgent=0.3)).urgency == "high"
    danger = scores(safety=0.9, informative=0.8, report_affected=0.4, report_other=0.2)
    assert decide(danger, Thresholds()).urgency == "critical"  # the safety score backs it


def test_an_unsure_report_kind_says_why_it_did_not_page():
    text = "Several houses destroyed by the earthquake in the north of the country"
    no_safety = {"critical": 1.0, "safety_high": 1.0}  # leaves the report's kind to decide
    result = classify(text, thresholds=Thresholds(**no_safety))
    assert (result.urgency, result.categories) == ("high", ("safety",))
    result = classify(text, thresholds=Thresholds(**no_safety, report_urgent=0.99))
    assert result.urgency == "normal"
    assert any(reason.name == "model:report_infrastructure"
               and reason.detail.endswith("not urgent, as that is below 0.99 (router.classifier.report_urgent)")
               for reason in result.reasons)


def test_another_risk_keeps_a_demoted_report_high():
    verdict = decide(scores(safety=0.9, financial=0.95, report_donations=0.8), Thresholds())
    assert (verdict.urgency, verdict.driver, verdict.categories) == ("high", "financial", ["financial"])


def test_a_report_that_reads_most_as_sympathy_needs_no_case():
    for danger in ({"safety": 0.9}, {"informative": 0.8}):
        verdict = decide(scores(**danger, report_sympathy=0.7, report_affected=0.5, report_other=0.4), Thresholds())
        assert verdict == ("low", "case", [], ("report_sympathy", 0.7))
    verdict = decide(scores(safety=0.9, report_sympathy=0.5, report_affected=0.6), Thresholds())
    assert (verdict.urgency, verdict.report) == ("critical", ("report_affected", 0.6))


def test_sympathy_never_quiets_a_complaint_or_another_risk():
    assert decide(scores(case=0.8, report_sympathy=0.9), Thresholds()).urgency == "normal"
    verdict = decide(scores(safety=0.9, financial=0.95, report_sympathy=0.9), Thresholds())
    assert (verdict.urgency, verdict.categories) == ("high", ["financial"])


def test_the_operator_can_turn_the_report_kinds_off():
    for kind in ("report_donations", "report_sympathy"):
        verdict = decide(scores(safety=0.9, **{kind: 0.8}), Thresholds(report_types=False))
        assert (verdict.urgency, verdict.report) == ("critical", None)


def test_a_model_without_report_heads_decides_as_before():
    old = {name: value for name, value in scores(safety=0.9).items() if not name.startswith("report_")}
    assert decide(old, Thresholds()).urgency == "critical"


def test_the_shipped_model_keeps_a_volunteer_appeal_from_paging_and_says_why():
    text = "Volunteers needed at the shelter on Main St to help families who lost their homes in the fire"
    assert classify(text, thresholds=Thresholds(report_types=False)).urgency == "critical"
    result = classify(text)
    assert result.urgency == "normal"
    assert any(reason.name == "model:report_donations" and "not urgent" in reason.detail for reason in result.reasons)


def test_a_report_made_urgent_by_its_kind_explains_itself_by_that_kind():
    result = classify("Flood waters rising fast on the Bruce Highway near Gympie, road closed both ways")
    assert result.urgency in ("critical", "high") and "safety" in result.categories
    assert any(reason.name.startswith("model:report_") and reason.detail.endswith(": urgent")
               for reason in result.reasons)


def test_the_shipped_model_records_a_message_of_sympathy_without_a_case_and_says_why():
    text = "RIP to the victims of the Boston marathon bombing"
    assert classify(text, thresholds=Thresholds(report_types=False)).urgency == "normal"  # an incident report
    result = classify(text)
    assert result.urgency == "low"
    assert any(reason.name == "model:report_sympathy" and reason.detail.endswith("no case needed")
               for reason in result.reasons)
