"""Credit household / village / township evaluation at the exact thresholds."""
from __future__ import annotations

import copy
from decimal import Decimal as D

import pytest

from chalicelib.domain.evaluation import (
    BORROWERS_WITHOUT_ARREARS_RATIO_LOW, CREDIT_HOUSEHOLD_RATIO_LOW, CREDIT_VILLAGE_RATIO_LOW, GRADE_BELOW_MIN,
    KNOCKED_OUT, NPL_RATIO_TOO_HIGH, VillageFacts, default_evaluation_document, evaluate_household,
    evaluate_township, evaluate_village,
)
from chalicelib.errors import ValidationFailed

POLICY = default_evaluation_document()


def facts(**kw) -> VillageFacts:
    base = dict(household_count=100, credit_household_count=80, borrower_count=100, borrowers_without_arrears=90,
                loan_balance=D("1000000"), npl_balance=D("10000"))
    base.update(kw)
    return VillageFacts(**base)


@pytest.mark.parametrize("grade, ko, ok, failed", [
    ("AAA", False, True, ()), ("AA", False, True, ()), ("A", False, True, ()),
    ("NONE", False, False, (GRADE_BELOW_MIN,)), ("AA", True, False, (KNOCKED_OUT,)),
    ("NONE", True, False, (GRADE_BELOW_MIN, KNOCKED_OUT)),
])
def test_credit_household(grade, ko, ok, failed):
    e = evaluate_household(grade, ko, POLICY)
    assert (e.is_credit_household, e.failed) == (ok, failed)


def test_credit_household_min_grade_is_a_parameter():
    pol = copy.deepcopy(POLICY)
    pol["credit_household"]["min_grade"] = "AA"
    assert evaluate_household("A", False, pol).failed == (GRADE_BELOW_MIN,)


def test_village_passes_with_margin():
    e = evaluate_village(facts(), POLICY)
    assert e.is_credit_village and e.failed == ()
    assert (e.credit_household_ratio, e.borrowers_without_arrears_ratio, e.npl_ratio) == (D("0.8"), D("0.9"), D("0.01"))


def test_credit_household_ratio_exactly_70_percent_passes():
    assert evaluate_village(facts(credit_household_count=70), POLICY).is_credit_village
    e = evaluate_village(facts(credit_household_count=69), POLICY)
    assert e.failed == (CREDIT_HOUSEHOLD_RATIO_LOW,) and e.credit_household_ratio == D("0.69")
    # 7 of 10 passes, 699 of 1000 does not
    assert evaluate_village(facts(household_count=10, credit_household_count=7, borrower_count=10,
                                  borrowers_without_arrears=9), POLICY).is_credit_village
    assert not evaluate_village(facts(household_count=1000, credit_household_count=699), POLICY).is_credit_village


def test_borrowers_without_arrears_exactly_85_percent_passes():
    assert evaluate_village(facts(borrowers_without_arrears=85), POLICY).is_credit_village
    e = evaluate_village(facts(borrowers_without_arrears=84), POLICY)
    assert e.failed == (BORROWERS_WITHOUT_ARREARS_RATIO_LOW,)


def test_npl_exactly_5_percent_fails():
    e = evaluate_village(facts(npl_balance=D("50000")), POLICY)          # 50000 / 1000000 = 0.05, not < 0.05
    assert e.failed == (NPL_RATIO_TOO_HIGH,) and e.npl_ratio == D("0.05")
    assert evaluate_village(facts(npl_balance=D("49999.99")), POLICY).is_credit_village


def test_all_criteria_reported():
    e = evaluate_village(facts(credit_household_count=10, borrowers_without_arrears=10, npl_balance=D("900000")), POLICY)
    assert e.failed == (CREDIT_HOUSEHOLD_RATIO_LOW, BORROWERS_WITHOUT_ARREARS_RATIO_LOW, NPL_RATIO_TOO_HIGH)


def test_village_without_borrowers():
    f = facts(borrower_count=0, borrowers_without_arrears=0, loan_balance=D(0), npl_balance=D(0))
    e = evaluate_village(f, POLICY)
    assert e.is_credit_village and e.borrowers_without_arrears_ratio is None and e.npl_ratio is None
    pol = copy.deepcopy(POLICY)
    pol["credit_village"]["no_borrowers"] = "fail"
    assert evaluate_village(f, pol).failed == (BORROWERS_WITHOUT_ARREARS_RATIO_LOW, NPL_RATIO_TOO_HIGH)


def test_village_errors():
    with pytest.raises(ValidationFailed) as e:
        evaluate_village(facts(household_count=0, credit_household_count=0, borrower_count=0,
                               borrowers_without_arrears=0), POLICY)
    assert e.value.code == "VILLAGE_EMPTY"
    with pytest.raises(ValidationFailed) as e:
        facts(credit_household_count=101)
    assert e.value.code == "INVALID_VILLAGE_FACTS"
    with pytest.raises(ValidationFailed):
        facts(npl_balance=0.5)


def test_township_threshold_exactly_50_percent():
    e = evaluate_township(10, 5, POLICY)
    assert e.is_credit_township and e.credit_village_ratio == D("0.5")
    e = evaluate_township(10, 4, POLICY)
    assert e.failed == (CREDIT_VILLAGE_RATIO_LOW,) and not e.is_credit_township
    e = evaluate_township(3, 1, POLICY)
    assert not e.is_credit_township and e.credit_village_ratio == D("0.333333")
    with pytest.raises(ValidationFailed) as ex:
        evaluate_township(0, 0, POLICY)
    assert ex.value.code == "TOWNSHIP_EMPTY"
    with pytest.raises(ValidationFailed) as ex:
        evaluate_township(3, 4, POLICY)
    assert ex.value.code == "INVALID_TOWNSHIP_FACTS"
