"""Credit-line proposal: binding constraints, rounding down, sub-lines, drawdown fit."""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.platform.errors import ValidationFailed
from chalicelib.rating.domain.credit_line import (
    CAPACITY,
    GRADE_CAP,
    PRODUCT_CAP,
    REGULATORY_CAP,
    check_drawdown_fits,
    default_policy_document,
    load_policy,
    propose_line,
    round_down,
)
from chalicelib.rating.domain.rating_input import RatingInput
from chalicelib.rating.domain.scorecard import ScoreResult

POLICY = default_policy_document()


def result(grade: str, knocked_out: tuple[str, ...] = ()) -> ScoreResult:
    return ScoreResult("expert-household-100", "1.0.0", D(90), "NONE" if knocked_out else grade, grade, (),
                       knocked_out, ())


def household(net_assets="100000", net_income="50000") -> RatingInput:
    return RatingInput(household_size=4, labourers=2, total_assets=D("200000"), net_assets=D(net_assets),
                       credit_union_shares=D("1000"), net_income=D(net_income), committee_assessment="good",
                       repayment_record="good", head_age=40, blacklisted=False, currently_overdue=False,
                       requested_term_years=3)


def test_default_policy_shape():
    pol = load_policy(POLICY)
    assert {g: t.cap for g, t in pol.grades.items()} == {"AAA": 300000, "AA": 200000, "A": 100000}
    assert pol.rounding_unit == D(1000)
    assert pol.line_validity_years == 3 and pol.rating_validity_years == 1


def test_capacity_binds():
    p = propose_line(result("AAA"), household(), POLICY)
    # capacity = 50000 (AAA base) + 0.3 * 100000 + 1.0 * 50000 = 130000 < 300000 caps
    assert p.eligible and p.master_limit == D("130000.00")
    assert p.binding_constraint == CAPACITY
    assert p.candidates[CAPACITY] == D("130000.0")


def test_capacity_rounds_down_to_unit():
    p = propose_line(result("AAA"), household(net_income="50999.99"), POLICY)
    # 50000 + 30000 + 50999.99 = 130999.99 -> round DOWN to 1000 -> 130000
    assert p.master_limit == D("130000.00")
    assert round_down(D("999.99"), D(1000)) == 0
    assert round_down(D("1000"), D(1000)) == D("1000.00")
    assert round_down(D("1999.99"), D(500)) == D("1500.00")


def test_grade_cap_binds():
    p = propose_line(result("AA"), household(net_assets="500000", net_income="200000"), POLICY)
    # capacity = 30000 + 150000 + 200000 = 380000 > AA cap 200000
    assert (p.master_limit, p.binding_constraint) == (D("200000.00"), GRADE_CAP)


def test_grade_cap_wins_a_tie_with_regulatory_cap():
    p = propose_line(result("AAA"), household(net_assets="1000000", net_income="300000"), POLICY)
    # AAA cap 300000 == regulatory cap 300000; tie-break order GRADE_CAP first
    assert (p.master_limit, p.binding_constraint) == (D("300000.00"), GRADE_CAP)


def test_regulatory_cap_binds():
    pol = copy.deepcopy(POLICY)
    pol["regulatory_cap"] = "250500"
    p = propose_line(result("AAA"), household(net_assets="1000000", net_income="300000"), pol)
    assert (p.master_limit, p.binding_constraint) == (D("250000.00"), REGULATORY_CAP)   # 250500 rounded down


def test_product_cap_binds_and_sub_lines():
    products = [{"product_id": "agri-revolving", "cap": "150000"}, {"product_id": "consumer", "cap": "50000"}]
    p = propose_line(result("AAA"), household(net_assets="1000000", net_income="300000"), POLICY, products)
    assert (p.master_limit, p.binding_constraint) == (D("150000.00"), PRODUCT_CAP)
    assert [(s.product_id, s.limit, s.binding) for s in p.sub_lines] == [
        ("agri-revolving", D("150000.00"), "MASTER"), ("consumer", D("50000.00"), PRODUCT_CAP)]


def test_sub_lines_may_exceed_master_by_default_but_each_fits():
    products = [{"product_id": "consumer", "cap": "50000"}, {"product_id": "agri", "cap": "200000"}]
    p = propose_line(result("AAA"), household(), POLICY, products)          # master 130000 by capacity
    assert p.master_limit == D("130000.00") and p.binding_constraint == CAPACITY
    assert [(s.product_id, s.limit) for s in p.sub_lines] == [("consumer", D("50000.00")), ("agri", D("130000.00"))]
    assert all(s.limit <= p.master_limit for s in p.sub_lines)
    pol = copy.deepcopy(POLICY)
    pol["sub_limits_may_exceed_master"] = False
    p2 = propose_line(result("AAA"), household(), pol, products)
    assert [(s.product_id, s.limit) for s in p2.sub_lines] == [("consumer", D("50000.00")), ("agri", D("80000.00"))]
    assert sum(s.limit for s in p2.sub_lines) == p2.master_limit


def test_product_min_grade_filters():
    products = [{"product_id": "premium", "cap": "300000", "min_grade": "AA"},
                {"product_id": "basic", "cap": "30000"}]
    p = propose_line(result("A"), household(), POLICY, products)
    # A capacity = 10000 + 30000 + 50000 = 90000; only 'basic' open -> product cap 30000
    assert (p.master_limit, p.binding_constraint) == (D("30000.00"), PRODUCT_CAP)
    assert [s.product_id for s in p.sub_lines] == ["basic"]
    p = propose_line(result("A"), household(), POLICY, [products[0]])
    assert not p.eligible and p.ineligible_reason == "NO_ELIGIBLE_PRODUCT"


def test_no_line_for_none_grade_knockout_or_zero_capacity():
    p = propose_line(result("NONE"), household(), POLICY)
    assert not p.eligible and p.ineligible_reason == "GRADE_NOT_ELIGIBLE" and p.master_limit == 0
    p = propose_line(result("AAA", knocked_out=("BLACKLISTED",)), household(), POLICY)
    assert not p.eligible and p.ineligible_reason == "KNOCKED_OUT" and p.master_limit == 0
    # capacity = 10000 + 0.3 * (-200000) + 0 = -50000 -> nothing
    p = propose_line(result("A"), household(net_assets="-200000", net_income="0"), POLICY)
    assert not p.eligible and p.ineligible_reason == "LIMIT_ZERO" and p.binding_constraint == CAPACITY


def test_grade_override_and_dates():
    p = propose_line(result("AA"), household(net_assets="1000000", net_income="300000"), POLICY,
                     grade_override="AAA", as_of=date(2024, 2, 29))
    assert p.grade == "AAA" and p.master_limit == D("300000.00")
    assert p.valid_until == date(2027, 2, 28) and p.rating_valid_until == date(2025, 2, 28)
    with pytest.raises(ValidationFailed) as e:
        propose_line(result("AA"), household(), POLICY, grade_override="B")
    assert e.value.code == "UNKNOWN_GRADE"


def test_check_drawdown_fits():
    check_drawdown_fits(D("100000"), D("50000"), D("50000"))   # exactly the sub-line: fits
    with pytest.raises(ValidationFailed) as e:
        check_drawdown_fits(D("40000"), D("50000"), D("45000"))
    assert e.value.code == "MASTER_LINE_EXCEEDED" and e.value.status == 422
    with pytest.raises(ValidationFailed) as e:
        check_drawdown_fits(D("100000"), D("50000"), D("50000.01"))
    assert e.value.code == "SUB_LINE_EXCEEDED"
    for bad in (D(0), D("-1"), 100.0):
        with pytest.raises(ValidationFailed) as e:
            check_drawdown_fits(D("100000"), D("50000"), bad)
        assert e.value.code == "DRAWDOWN_AMOUNT_INVALID"


def test_invalid_policy():
    pol = copy.deepcopy(POLICY)
    pol["rounding_unit"] = "0"
    with pytest.raises(ValidationFailed) as e:
        load_policy(pol)
    assert e.value.code == "CREDIT_LINE_POLICY_INVALID"
