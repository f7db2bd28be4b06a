"""Household figures for rating: the rules of chalicelib/rating/domain/household_metrics.py."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.platform.errors import ValidationFailed
from chalicelib.rating.domain import household_metrics as hm

TODAY = date(2026, 11, 30)


def household(**kw):
    base = {
        "household_id": "HH-1", "head_member_id": "M1",
        "members": [
            {"member_id": "M1", "relation": "head", "name": "张三", "birth_date": "1976-12-01", "labour_capacity": "full"},
            {"member_id": "M2", "relation": "spouse", "name": "李四", "birth_date": "1978-03-03", "labour_capacity": "full"},
            {"member_id": "M3", "relation": "parent", "name": "张父", "birth_date": "1950-01-01", "labour_capacity": "partial"},
            {"member_id": "M4", "relation": "parent", "name": "张母", "birth_date": "1952-01-01", "labour_capacity": "partial"},
            {"member_id": "M5", "relation": "child", "name": "张小", "birth_date": "2015-01-01", "labour_capacity": "none"},
        ],
        "assets": {"house_area_m2": D("120"), "house_value": D("150000.00"), "contracted_land_mu": D("30.00"),
                   "transferred_in_land_mu": D("10.00"), "livestock": [{"kind": "cattle", "count": 5}],
                   "livestock_value": D("60000"), "machinery_value": D("40000"), "vehicles_value": 20000,
                   "deposits": "30000.50", "credit_union_shares": D("5000")},
        "liabilities": {"bank_loans": D("50000"), "informal_borrowing": D("10000")},
        "income": {"crops": D("60000"), "livestock": D("20000"), "business": D("0"), "wages": D("15000"),
                   "subsidies": D("3000")},
        "expenses": {"production": D("10000"), "living": D("24000"), "other": D("2000")},
        "committee_assessment": "good", "repayment_record": "good", "blacklisted": False,
    }
    base.update(kw)
    return base


def test_totals_count_money_assets_only_not_land_or_areas():
    h = household()
    # 150000 + 60000 + 40000 + 20000 + 30000.50 + 5000; land (mu), house area (m²) and the livestock list excluded
    assert hm.total_assets(h) == D("305000.50")
    assert hm.total_liabilities(h) == D("60000.00")
    assert hm.net_assets(h) == D("245000.50")
    assert hm.credit_union_shares(h) == D("5000.00")


def test_net_income_is_income_minus_all_expenses():
    h = household()
    assert hm.gross_income(h) == D("98000.00")
    assert hm.total_expenses(h) == D("36000.00")
    assert hm.net_income(h) == D("62000.00")
    assert hm.net_income(household(income={"crops": D("-5000")}, expenses={})) == D("-5000.00")


def test_counts_and_the_partial_labourer_rule():
    assert hm.household_size(household()) == 5
    # 2 full + two partial count as one = 3
    assert hm.labourers(household()) == 3
    one_partial = household(members=household()["members"][:3])
    assert hm.labourers(one_partial) == 2


def test_head_age_in_completed_years():
    assert hm.head_age(household(), date(2026, 11, 30)) == 49
    assert hm.head_age(household(), date(2026, 12, 1)) == 50   # the birthday completes the year
    leap = household(members=[{"member_id": "M1", "relation": "head", "birth_date": "1980-02-29"}])
    assert hm.head_age(leap, date(2026, 2, 28)) == 45
    assert hm.head_age(leap, date(2026, 3, 1)) == 46


def test_head_found_by_relation_when_no_head_member_id():
    h = household(head_member_id=None)
    assert hm.head_member(h)["member_id"] == "M1"
    with pytest.raises(ValidationFailed) as e:
        hm.head_member(household(head_member_id=None, members=[{"member_id": "X", "relation": "spouse"}]))
    assert e.value.code == "HOUSEHOLD_HEAD_MISSING"


@pytest.mark.parametrize("birth, code", [(None, "HEAD_BIRTH_DATE_MISSING"), ("1980-13-01", "HEAD_BIRTH_DATE_INVALID"),
                                         ("2030-01-01", "HEAD_BIRTH_DATE_INVALID")])
def test_bad_head_birth_dates(birth, code):
    h = household(members=[{"member_id": "M1", "relation": "head", "birth_date": birth}])
    with pytest.raises(ValidationFailed) as e:
        hm.head_age(h, TODAY)
    assert e.value.code == code


def test_floats_and_garbage_are_refused():
    with pytest.raises(ValidationFailed) as e:
        hm.total_assets(household(assets={"house_value": 1.5}))
    assert e.value.code == "INVALID_AMOUNT"
    with pytest.raises(ValidationFailed):
        hm.total_liabilities(household(liabilities={"bank_loans": "lots"}))


def test_rating_input_carries_every_fact():
    inp = hm.rating_input(household(blacklisted=True, currently_overdue=True), today=TODAY, requested_term_years=3)
    assert (inp.household_size, inp.labourers, inp.head_age) == (5, 3, 49)
    assert (inp.total_assets, inp.net_assets, inp.net_income) == (D("305000.50"), D("245000.50"), D("62000.00"))
    assert inp.credit_union_shares == D("5000.00")
    assert (inp.committee_assessment, inp.repayment_record) == ("good", "good")
    assert inp.blacklisted and inp.currently_overdue and inp.requested_term_years == 3


def test_rating_input_needs_the_committee_assessment():
    with pytest.raises(ValidationFailed) as e:
        hm.rating_input(household(committee_assessment=None), today=TODAY, requested_term_years=3)
    assert (e.value.code, e.value.fields[0].field) == ("RATING_FACT_MISSING", "committee_assessment")


def test_statistical_features_are_the_documented_ones():
    f = hm.statistical_features(household(), today=TODAY)
    assert set(f) == set(hm.STATISTICAL_FEATURES)
    assert f["debt_to_assets"] == (D("60000") / D("305000.50")).quantize(D("0.0001"))
    assert f["contracted_land_mu"] == D("30.00")
    assert hm.statistical_features(household(assets={}), today=TODAY)["debt_to_assets"] is None
