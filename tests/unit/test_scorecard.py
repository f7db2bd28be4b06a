"""Expert scorecard: points against the published 100-point form, grades, knock-outs, adjustments."""
from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal as D

import pytest

from chalicelib.platform.errors import ValidationFailed
from chalicelib.rating.domain.grade_adjustment import grade_adjust, grade_adjust_to
from chalicelib.rating.domain.rating_input import RatingInput, VillageAverages, village_averages
from chalicelib.rating.domain.scorecard import (
    default_scorecard_document,
    grade_for_score,
    load_scorecard,
    score_household,
)

DOC = default_scorecard_document()
# village means used by the hand-computed cases below
AVG = VillageAverages(household_count=10, total_assets=D("100000.00"), net_assets=D("80000.00"),
                      net_income=D("40000.00"), credit_union_shares=D("1000.00"))


def household(**kw) -> RatingInput:
    base = dict(household_size=5, labourers=3, total_assets=D("160000"), net_assets=D("80000"),
                credit_union_shares=D("10000"), net_income=D("40000"), committee_assessment="excellent",
                repayment_record="good", head_age=45, blacklisted=False, currently_overdue=False,
                requested_term_years=3)
    base.update(kw)
    return RatingInput(**base)


def points(result) -> dict[str, D]:
    return {s.indicator_id: s.points for s in result.indicators}


def test_published_form_maxima_sum_to_100():
    card = load_scorecard(DOC)
    maxima = {i.id: i.max_points for i in card.indicators}
    assert maxima == {"household_size": 8, "labourers": 8, "total_assets": 13, "net_assets": 13,
                      "credit_union_shares": 4, "net_income": 14, "committee_assessment": 30,
                      "repayment_record": 10}
    assert sum(maxima.values()) == D(100)
    assert card.scorecard_id and card.version


def test_published_form_bins_for_counts_shares_and_committee():
    # form: size >=3 8, 2 7, 1 5; labourers >=3 8, 2 7, 1 3, 0 0; committee 30/25/15/0
    for size, labs, exp_size, exp_lab in [(3, 3, 8, 8), (2, 2, 7, 7), (1, 1, 5, 3), (1, 0, 5, 0)]:
        p = points(score_household(household(household_size=size, labourers=labs), AVG, DOC))
        assert (p["household_size"], p["labourers"]) == (exp_size, exp_lab)
    for cat, exp in [("excellent", 30), ("good", 25), ("fair", 15), ("poor", 0)]:
        assert points(score_household(household(committee_assessment=cat), AVG, DOC))["committee_assessment"] == exp
    # shares: none 0, some 2, 5,000-<10,000 3, >=10,000 4
    for shares, exp in [("0", 0), ("0.01", 2), ("4999.99", 2), ("5000", 3), ("9999.99", 3), ("10000", 4)]:
        assert points(score_household(household(credit_union_shares=D(shares)), AVG, DOC))["credit_union_shares"] == exp


def test_household_top_marks_hand_computed():
    r = score_household(household(), AVG, DOC)
    # size 5 -> 8; labourers 3 -> 8; total assets 160000/100000 = 1.6 -> 13; net assets 80000/80000 = 1.0 -> 11;
    # shares 10000 -> 4; net income 40000/40000 = 1.0 -> 12; excellent -> 30; good record -> 10
    # 8 + 8 + 13 + 11 + 4 + 12 + 30 + 10 = 96
    assert points(r) == {"household_size": 8, "labourers": 8, "total_assets": 13, "net_assets": 11,
                         "credit_union_shares": 4, "net_income": 12, "committee_assessment": 30,
                         "repayment_record": 10}
    assert r.total_score == D(96)
    assert r.grade == "AAA" and r.knocked_out == ()
    assert r.indicator("total_assets").value_used == D("1.6000")
    assert r.indicator("total_assets").bin_label == ">=1.5x"
    # lost: net_assets 2, net_income 2 (tie -> scorecard order)
    assert r.reason_codes == ("LOW_NET_ASSETS", "LOW_NET_INCOME")


def test_weak_household_hand_computed_and_reason_codes():
    r = score_household(household(household_size=2, labourers=1, total_assets=D("69999"), net_assets=D("0"),
                                  credit_union_shares=D("0"), net_income=D("16000"), committee_assessment="fair",
                                  repayment_record="minor_late"), AVG, DOC)
    # size 2 -> 7; labourers 1 -> 3; total assets 69999/100000 = 0.69999 (< 0.7) -> 5; net assets 0 -> 0;
    # shares 0 -> 0; net income 16000/40000 = 0.4 -> 5; fair -> 15; minor_late -> 5
    # 7 + 3 + 5 + 0 + 0 + 5 + 15 + 5 = 40
    assert points(r) == {"household_size": 7, "labourers": 3, "total_assets": 5, "net_assets": 0,
                         "credit_union_shares": 0, "net_income": 5, "committee_assessment": 15,
                         "repayment_record": 5}
    assert r.total_score == D(40) and r.grade == "NONE"
    # lost: committee 15, net assets 13, net income 9, total assets 8, ...
    assert r.reason_codes == ("WEAK_COMMITTEE_ASSESSMENT", "LOW_NET_ASSETS", "LOW_NET_INCOME")


def test_middle_household_hand_computed():
    r = score_household(household(household_size=1, labourers=0, total_assets=D("70000"), net_assets=D("56000"),
                                  credit_union_shares=D("5000"), net_income=D("28000"), committee_assessment="good",
                                  repayment_record="none"), AVG, DOC)
    # size 1 -> 5; labourers 0 -> 0; 70000/100000 = 0.7 -> 8; 56000/80000 = 0.7 -> 8; shares 5000 -> 3;
    # 28000/40000 = 0.7 -> 9; good -> 25; no history -> 8
    # 5 + 0 + 8 + 8 + 3 + 9 + 25 + 8 = 66
    assert r.total_score == D(66) and r.grade == "A"
    assert points(r)["net_income"] == D(9)


def test_ratio_band_edges_are_exact():
    assert points(score_household(household(total_assets=D("150000")), AVG, DOC))["total_assets"] == 13
    assert points(score_household(household(total_assets=D("149999.99")), AVG, DOC))["total_assets"] == 11
    assert points(score_household(household(net_income=D("39999.99")), AVG, DOC))["net_income"] == 9
    assert points(score_household(household(net_assets=D("-5000")), AVG, DOC))["net_assets"] == 0
    assert points(score_household(household(net_assets=D("0.01")), AVG, DOC))["net_assets"] == 2


def test_non_positive_village_mean_scores_as_average():
    avg = replace(AVG, net_assets=D("-1000.00"))
    s = score_household(household(net_assets=D("123")), avg, DOC).indicator("net_assets")
    assert s.value_used == D(1) and s.points == D(11)


def test_grade_boundaries():
    for score, grade in [("85", "AAA"), ("84.99", "AA"), ("75", "AA"), ("74", "A"), ("74.99", "A"),
                         ("60", "A"), ("59", "NONE"), ("59.99", "NONE"), ("100", "AAA"), ("0", "NONE")]:
        assert grade_for_score(D(score), DOC) == grade, score


def test_scores_85_and_84_through_the_form():
    # 8 + 8 + 13 (1.5x) + 11 (1.0x) + 3 (shares 5000) + 12 (1.0x) + 25 (good) + 5 (minor_late) = 85
    r85 = score_household(household(total_assets=D("150000"), credit_union_shares=D("5000"),
                                    committee_assessment="good", repayment_record="minor_late"), AVG, DOC)
    assert (r85.total_score, r85.grade) == (D(85), "AAA")
    # same with shares 1000 -> 2 points: 84
    r84 = score_household(household(total_assets=D("150000"), credit_union_shares=D("1000"),
                                    committee_assessment="good", repayment_record="minor_late"), AVG, DOC)
    assert (r84.total_score, r84.grade) == (D(84), "AA")


@pytest.mark.parametrize("kw, fired", [
    (dict(blacklisted=True), ("BLACKLISTED",)),
    (dict(currently_overdue=True), ("CURRENTLY_OVERDUE",)),
    (dict(head_age=17), ("HEAD_AGE_BELOW_MIN",)),
    (dict(head_age=18), ()),
    (dict(head_age=65, requested_term_years=5), ()),          # 65 + 5 = 70 allowed
    (dict(head_age=66, requested_term_years=1), ("HEAD_AGE_ABOVE_MAX",)),
    (dict(head_age=60, requested_term_years=10), ()),         # 60 + 10 = 70
    (dict(head_age=60, requested_term_years=11), ("AGE_PLUS_TERM_EXCEEDED",)),
    (dict(blacklisted=True, currently_overdue=True), ("BLACKLISTED", "CURRENTLY_OVERDUE")),
])
def test_knockouts(kw, fired):
    r = score_household(household(**kw), AVG, DOC)
    assert r.knocked_out == fired
    assert r.grade_by_score == "AAA"
    assert r.grade == ("NONE" if fired else "AAA")


def test_scorecard_parameters_drive_the_result():
    doc = copy.deepcopy(DOC)
    doc["grades"]["cutoffs"][0]["min_score"] = "97"
    doc["knockouts"]["head_age_max"]["value"] = 70
    r = score_household(household(head_age=68, requested_term_years=1), AVG, doc)
    assert r.grade == "AA" and r.knocked_out == ()


def test_invalid_documents_and_inputs():
    doc = copy.deepcopy(DOC)
    doc["indicators"][0]["max_points"] = "9"
    with pytest.raises(ValidationFailed) as e:
        load_scorecard(doc)
    assert e.value.code == "SCORECARD_INVALID"
    doc = copy.deepcopy(DOC)
    doc["indicators"][0]["bins"][0]["points"] = "9"   # maxima would no longer sum to 100
    doc["indicators"][0]["max_points"] = "9"
    with pytest.raises(ValidationFailed):
        load_scorecard(doc)
    with pytest.raises(ValidationFailed) as e:
        score_household(household(committee_assessment="great"), AVG, DOC)
    assert e.value.code == "UNKNOWN_CATEGORY"
    with pytest.raises(ValidationFailed) as e:
        score_household(household(), None, DOC)
    assert e.value.code == "VILLAGE_AVERAGES_REQUIRED"
    with pytest.raises(ValidationFailed) as e:
        household(net_income=40000.0)
    assert e.value.code == "INVALID_AMOUNT"
    with pytest.raises(ValidationFailed) as e:
        household(household_size=2, labourers=3)
    assert e.value.code == "INVALID_COUNT"


def test_village_averages():
    hs = [household(total_assets=D("100000"), net_assets=D("50000"), net_income=D("30000")),
          household(total_assets=D("200000"), net_assets=D("-10000"), net_income=D("40000")),
          household(total_assets=D("0"), net_assets=D("0"), net_income=D("10000.01"))]
    avg = village_averages(hs)
    assert avg.household_count == 3
    assert avg.total_assets == D("100000.00")
    assert avg.net_assets == D("13333.33")      # 40000 / 3
    assert avg.net_income == D("26666.67")      # 80000.01 / 3 = 26666.67
    assert avg.credit_union_shares == D("10000.00")
    with pytest.raises(ValidationFailed) as e:
        village_averages([])
    assert e.value.code == "VILLAGE_EMPTY"


def test_grade_adjust_one_step_only():
    assert grade_adjust("AA", "up") == "AAA"
    assert grade_adjust("AA", "down") == "A"
    assert grade_adjust("A", -1) == "NONE"
    assert grade_adjust("NONE", 1) == "A"
    assert grade_adjust("AA", "none") == "AA"
    assert grade_adjust("AA", 1, scorecard=DOC) == "AAA"
    for bad in (2, -2, 3):
        with pytest.raises(ValidationFailed) as e:
            grade_adjust("AA", bad)
        assert e.value.code == "RATING_ADJUST_TOO_FAR"
    with pytest.raises(ValidationFailed) as e:
        grade_adjust("AAA", "up")
    assert e.value.code == "RATING_ADJUST_OUT_OF_RANGE"
    with pytest.raises(ValidationFailed) as e:
        grade_adjust_to("A", "AAA")
    assert e.value.code == "RATING_ADJUST_TOO_FAR"
    assert grade_adjust_to("A", "AA") == "AA"
    with pytest.raises(ValidationFailed) as e:
        grade_adjust("NONE", "up", knocked_out=True)
    assert e.value.code == "RATING_KNOCKED_OUT"
    with pytest.raises(ValidationFailed) as e:
        grade_adjust("B", "up")
    assert e.value.code == "UNKNOWN_GRADE"
