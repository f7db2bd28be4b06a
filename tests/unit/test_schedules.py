"""Repayment schedules against the published reference cases and hand-computed examples.

``tests/fixtures/amortization_reference_cases.json`` is a copy of the shared reference file
(numpy-financial tests/docs, Excel/Claris/SpreadJS documentation, Chinese worked examples). Those
sources report payments as negative cash flows; our functions return positive amounts, so the tests
compare with ``-expected``. Every case id must have a checker below (a new case without one fails).
"""
from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.loans.domain.interest import (
    accrue_interest,
    add_months,
    annuity_payment,
    interest_portion,
    principal_portion,
    round_fen,
    year_fraction,
)
from chalicelib.loans.domain.schedules import build_schedule
from chalicelib.platform.errors import ValidationFailed

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "amortization_reference_cases.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]
START = date(2024, 1, 15)


def dec(value) -> D:
    """Published figure (float in JSON) as a Decimal of its printed digits."""
    return D(str(value))


def places(value) -> D:
    """The precision a published figure is stated to: one unit of its last printed digit."""
    exponent = dec(value).as_tuple().exponent
    return D(1).scaleb(exponent)


def assert_close(actual: D, published, tolerance: D | None = None) -> None:
    """``actual`` equals the positive of ``published`` to the published precision (half a unit of its
    last digit, i.e. ``actual`` rounds to the published figure), or within ``tolerance``."""
    expected = abs(dec(published))
    tol = tolerance if tolerance is not None else places(published) / 2
    assert abs(actual - expected) <= tol, f"{actual} != {expected} (±{tol})"


def monthly(case) -> D:
    return dec(case["annual_rate"]) / 12


def schedule_for(case, method="equal_installment"):
    return build_schedule(principal=dec(case["principal"]), annual_rate=dec(case["annual_rate"]),
                          method=method, term_months=case["periods"], start_date=START)


# ---------------------------------------------------------------- one checker per reference case
def check_npf_pmt_simple(case):
    exp = case["expected"]
    payment = annuity_payment(dec(case["principal"]), monthly(case), case["periods"])
    assert_close(payment, exp["payment"])  # float printed to 6 dp
    # the Decimal figure was computed by numpy-financial in a 28-digit context: agree to 1e-21
    assert abs(payment - abs(D(exp["payment_decimal"]))) < D("1e-21")
    assert round_fen(payment) == D("304.15")


def check_npf_pmt_zero_rate(case):
    payment = annuity_payment(dec(case["principal"]), D(0), case["periods"])
    assert payment == D("250")
    schedule = schedule_for(case)
    assert {i.payment for i in schedule.installments} == {D("250.00")}
    assert schedule.total_interest == D("0.00")


def check_npf_pmt_broadcast(case):
    exp = case["expected"]
    assert_close(annuity_payment(dec(case["principal"]), dec(case["period_rate"]), case["periods"]),
                 exp["payment"])
    assert_close(annuity_payment(D(20000), D("0.8"), 3), exp["also"]["pmt(0.8,3,20000)"])
    assert_close(annuity_payment(D(2000), D(0), 12), exp["also"]["pmt(0,12,2000)"])


def check_npf_doc_pmt_200k_15y(case):
    payment = annuity_payment(dec(case["principal"]), monthly(case), case["periods"])
    # the published figure is a binary float (≈16 significant digits)
    assert_close(payment, case["expected"]["payment"], D("1e-9"))


def check_npf_doc_schedule(case):
    exp = case["expected"]
    p, r, n = dec(case["principal"]), monthly(case), case["periods"]
    assert round_fen(annuity_payment(p, r, n)) == abs(dec(exp["payment"]))
    # the published table is the unrounded computation printed to 2 dp: match every row exactly
    unrounded_interest = D(0)
    for row in exp["schedule"]:
        k = row["n"]
        interest = interest_portion(p, r, n, k)
        unrounded_interest += interest
        assert round_fen(principal_portion(p, r, n, k)) == abs(dec(row["principal"]))
        assert round_fen(interest) == abs(dec(row["interest"]))
    assert round_fen(unrounded_interest) == abs(dec(exp["total_interest"]))
    # our fen-rounded schedule (payment 217.75 instead of 217.7486) stays within one fen per row for
    # rows 1-11; the last row takes the accumulated residue (216.24 + 1.48 vs published 216.26 + 1.49)
    schedule = schedule_for(case)
    for row, inst in zip(exp["schedule"][:-1], schedule.installments[:-1], strict=False):
        assert abs(inst.principal - abs(dec(row["principal"]))) <= D("0.01")
        assert abs(inst.interest - abs(dec(row["interest"]))) <= D("0.01")
        assert abs(inst.closing_balance - abs(dec(row["balance"]))) <= D("0.02")
    last = schedule.installments[-1]
    assert last.principal == schedule.installments[-2].closing_balance == D("216.24")
    assert (last.interest, last.payment) == (D("1.48"), D("217.72"))
    assert schedule.total_principal == D("2500.00")
    # rounding the payment up (217.7486 -> 217.75) repays slightly faster: 112.97 vs 112.98 unrounded
    assert schedule.total_interest == D("112.97")


def check_npf_ppmt_55000(case):
    exp = case["expected"]
    p, r, n = dec(case["principal"]), monthly(case), case["periods"]
    assert_close(principal_portion(p, r, n, 1), exp["principal_part_period1_end"])
    assert_close(principal_portion(p, r, n, 1, when="begin"), exp["principal_part_period1_begin"])


def check_npf_ipmt_ppmt_2000_24m(case):
    exp = case["expected"]
    p, r, n = dec(case["principal"]), monthly(case), case["periods"]
    for k, value in enumerate(exp["interest_periods_1_4"], start=1):
        assert_close(interest_portion(p, r, n, k), value)
    for k, value in enumerate(exp["principal_periods_1_4"], start=1):
        assert_close(principal_portion(p, r, n, k), value)
    assert interest_portion(p, r, n, 1, when="begin") == D(exp["interest_period1_begin"])


def check_excel_pmt(case):
    exp = case["expected"]
    p, r, n = dec(case["principal"]), monthly(case), case["periods"]
    assert round_fen(annuity_payment(p, r, n)) == abs(dec(exp["payment_end"]))
    assert round_fen(annuity_payment(p, r, n, when="begin")) == abs(dec(exp["payment_begin"]))
    assert schedule_for(case).installments[0].payment == D("1037.03")


def check_excel_ipmt(case):
    exp = case["expected"]
    p, r, n = dec(case["principal"]), monthly(case), case["periods"]
    assert round_fen(interest_portion(p, r, n, 1)) == abs(dec(exp["interest_period1_monthly"]))
    assert schedule_for(case).installments[0].interest == D("66.67")
    # Excel example 2: IPMT(10%, 3, 3, 8000), annual payments
    assert round_fen(interest_portion(p, D("0.1"), 3, 3)) == \
        abs(dec(exp["interest_year3_if_annual_payments(3 periods, 10%)"]))


def check_excel_ppmt(case):
    exp = case["expected"]
    p, r, n = dec(case["principal"]), monthly(case), case["periods"]
    assert round_fen(principal_portion(p, r, n, 1)) == abs(dec(exp["principal_period1"]))
    assert schedule_for(case).installments[0].principal == D("75.62")
    # Excel example 2: PPMT(8%, 10, 10, 200000), annual payments
    assert round_fen(principal_portion(D(200000), D("0.08"), 10, 10)) == \
        abs(dec(exp["principal_year10_of_200000_8pct_10y_annual"]))


def check_claris(case):
    assert round_fen(annuity_payment(dec(case["principal"]), monthly(case), case["periods"])) == D("501.90")
    assert_close(schedule_for(case).installments[0].payment, case["expected"]["payment"])


def check_mescius(case):
    exp = case["expected"]
    p, n = dec(case["principal"]), case["periods"]
    assert round_fen(annuity_payment(p, monthly(case), n)) == abs(dec(exp["payment_end"]))
    assert round_fen(annuity_payment(p, D("0.005"), n, when="begin")) == abs(dec(exp["payment_begin(rate 0.005)"]))


def check_cn_web_emi(case):
    exp = case["expected"]
    p, r, n = dec(case["principal"]), monthly(case), case["periods"]
    emi = round_fen(annuity_payment(p, r, n))
    assert emi == dec(exp["payment"])
    # the page's totals are "rounded EMI × n" (stated in the case)
    assert emi * n == dec(exp["total_payment"]).quantize(D("0.01"))
    assert emi * n - p == dec(exp["total_interest"]).quantize(D("0.01"))
    schedule = schedule_for(case)
    for row in exp["schedule_head"]:
        inst = schedule.installments[row["n"] - 1]
        assert inst.interest == dec(row["interest"]).quantize(D("0.01"))
        assert inst.principal == dec(row["principal"]).quantize(D("0.01"))
        assert inst.payment == emi
    # our schedule's true sum differs from EMI × n only by the residue carried by the last row
    assert schedule.total_principal == p
    last = schedule.installments[-1]
    assert schedule.total_payment == emi * (n - 1) + last.payment
    assert abs(last.payment - emi) < D("1.00")


def check_cn_web_600000(case):
    exp = case["expected"]
    p, r, n = dec(case["principal"]), monthly(case), case["periods"]
    assert round_fen(annuity_payment(p, r, n)) == dec(exp["payment_equal_installment"])
    ep = schedule_for(case, "equal_principal")
    first, second = ep.installments[0], ep.installments[1]
    # 600000/360 = 1666.67 principal + 600000 × 0.049/12 = 2450.00 interest
    assert first.payment == D("4116.67")
    # the page's 4114.66 is an arithmetic error (see the case note): we must NOT reproduce it
    assert first.payment != dec(exp["equal_principal_first_month_as_published"]).quantize(D("0.01"))
    assert first.payment - second.payment == dec(exp["equal_principal_monthly_decrement"])
    assert ep.total_principal == p


CHECKERS = {
    "npf-pmt-simple": check_npf_pmt_simple,
    "npf-pmt-zero-rate": check_npf_pmt_zero_rate,
    "npf-pmt-broadcast": check_npf_pmt_broadcast,
    "npf-doc-pmt-200k-15y": check_npf_doc_pmt_200k_15y,
    "npf-doc-schedule-2500-8.24pct-12m": check_npf_doc_schedule,
    "npf-ppmt-55000": check_npf_ppmt_55000,
    "npf-ipmt-ppmt-2000-24m": check_npf_ipmt_ppmt_2000_24m,
    "excel-pmt-10000-8pct-10m": check_excel_pmt,
    "excel-ipmt-8000-10pct-3y": check_excel_ipmt,
    "excel-ppmt-2000-10pct-2y": check_excel_ppmt,
    "claris-pmt-21000-6.9pct-48m": check_claris,
    "mescius-pmt-5000-6pct-15m": check_mescius,
    "cn-web-100000-4.9pct-10y": check_cn_web_emi,
    "cn-web-1000000-4.9pct-20y": check_cn_web_emi,
    "cn-web-600000-4.9pct-30y": check_cn_web_600000,
}


def test_fixture_is_complete():
    assert len(CASES) == 15
    assert {c["id"] for c in CASES} == set(CHECKERS)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_reference_case(case):
    assert case["id"] in CHECKERS, "every reference case needs a checker"
    CHECKERS[case["id"]](case)


# ---------------------------------------------------------------- schedule invariants per method
@pytest.mark.parametrize("method", ["equal_installment", "equal_principal", "interest_periodic", "flat"])
@pytest.mark.parametrize("principal,rate,term", [(D("50000.00"), D("0.0435"), 12),
                                                  (D("123456.78"), D("0.0655"), 36),
                                                  (D("0.05"), D("0.1"), 3)])
def test_schedule_invariants(method, principal, rate, term):
    schedule = build_schedule(principal=principal, annual_rate=rate, method=method, term_months=term,
                              start_date=date(2024, 1, 31))
    insts = schedule.installments
    assert len(insts) == term
    assert schedule.total_principal == principal
    assert insts[-1].closing_balance == D("0.00")
    assert all(i.payment == i.principal + i.interest for i in insts)
    assert all(i.principal >= 0 and i.interest >= 0 for i in insts)
    assert all(i.principal == i.principal.quantize(D("0.01")) for i in insts)
    balance = principal
    for inst in insts:
        balance -= inst.principal
        assert inst.closing_balance == balance
    # month-end anchor: 31 Jan -> 29 Feb (leap year) -> 31 Mar
    assert insts[0].due_date == date(2024, 2, 29)
    assert insts[1].due_date == date(2024, 3, 31)
    assert insts[1].period_start == insts[0].due_date


def test_equal_principal_hand_computed():
    # 12000 over 12 months at 6 %: principal 1000.00; month 1 interest 12000 × 0.005 = 60.00,
    # month 2 interest 11000 × 0.005 = 55.00, month 12 interest 1000 × 0.005 = 5.00
    s = build_schedule(principal=D("12000.00"), annual_rate=D("0.06"), method="equal_principal",
                       term_months=12, start_date=START)
    assert [i.principal for i in s.installments] == [D("1000.00")] * 12
    assert s.installments[0].interest == D("60.00")
    assert s.installments[1].interest == D("55.00")
    assert s.installments[-1].interest == D("5.00")
    # total interest = 0.005 × 1000 × (12 + 11 + ... + 1) = 5 × 78 = 390.00
    assert s.total_interest == D("390.00")


def test_equal_principal_residue_goes_to_last():
    # 10000 / 3 = 3333.333 -> 3333.33, 3333.33, last 3333.34
    s = build_schedule(principal=D("10000.00"), annual_rate=D("0.06"), method="equal_principal",
                       term_months=3, start_date=START)
    assert [i.principal for i in s.installments] == [D("3333.33"), D("3333.33"), D("3333.34")]


def test_interest_periodic_quarterly_hand_computed():
    # 100000 at 4.35 %, quarterly: interest 100000 × 0.0435 × 3/12 = 1087.50 each quarter
    s = build_schedule(principal=D("100000.00"), annual_rate=D("0.0435"), method="interest_periodic",
                       term_months=12, start_date=START, frequency_months=3)
    assert len(s.installments) == 4
    assert [i.interest for i in s.installments] == [D("1087.50")] * 4
    assert [i.principal for i in s.installments] == [D("0.00")] * 3 + [D("100000.00")]
    assert [i.due_date for i in s.installments] == [date(2024, 4, 15), date(2024, 7, 15),
                                                    date(2024, 10, 15), date(2025, 1, 15)]
    assert s.total_payment == D("104350.00")


def test_interest_periodic_rejects_semiannual():
    with pytest.raises(ValidationFailed) as err:
        build_schedule(principal=D("1000.00"), annual_rate=D("0.05"), method="interest_periodic",
                       term_months=12, start_date=START, frequency_months=6)
    assert err.value.code == "FREQUENCY_INVALID"


def test_bullet_actual_360():
    # 利随本清: 2024-01-15 .. 2025-01-15 is 366 days (leap year);
    # 50000 × 0.0435 × 366 / 360 = 2211.25
    s = build_schedule(principal=D("50000.00"), annual_rate=D("0.0435"), method="bullet",
                       term_months=12, start_date=START)
    assert len(s.installments) == 1
    (inst,) = s.installments
    assert inst.due_date == date(2025, 1, 15)
    assert inst.interest == D("2211.25")
    assert inst.principal == D("50000.00")
    assert inst.payment == D("52211.25")


def test_flat_hand_computed():
    # 平息: 12000 over 12 months at 6 %: interest on ORIGINAL principal 12000 × 0.005 = 60.00 every month
    s = build_schedule(principal=D("12000.00"), annual_rate=D("0.06"), method="flat", term_months=12,
                       start_date=START)
    assert {i.interest for i in s.installments} == {D("60.00")}
    assert {i.payment for i in s.installments} == {D("1060.00")}
    assert s.total_interest == D("720.00")


def test_broken_first_period_equal_installment():
    # drawn 2024-01-05, first due 2024-02-20 (46 days, ACT/360): 10000 × 0.06 × 46/360 = 76.67
    # regular EMI(10000, 0.005, 12) = 860.66; regular month-1 interest 50.00 -> principal 810.66
    s = build_schedule(principal=D("10000.00"), annual_rate=D("0.06"), method="equal_installment",
                       term_months=12, start_date=date(2024, 1, 5), first_due_date=date(2024, 2, 20))
    first, second = s.installments[0], s.installments[1]
    assert first.period_start == date(2024, 1, 5)
    assert first.interest == D("76.67")
    assert first.principal == D("810.66")
    assert first.payment == D("887.33")  # 810.66 + 76.67
    assert second.due_date == date(2024, 3, 20)
    assert second.payment == D("860.66")
    assert s.installments[-1].due_date == date(2025, 1, 20)
    assert s.total_principal == D("10000.00")


def test_broken_first_period_short():
    # drawn 2024-01-25, first due 2024-02-20: 26 days; 10000 × 0.06 × 26/360 = 43.33
    s = build_schedule(principal=D("10000.00"), annual_rate=D("0.06"), method="equal_principal",
                       term_months=12, start_date=date(2024, 1, 25), first_due_date=date(2024, 2, 20))
    assert s.installments[0].interest == D("43.33")
    # month 2 is regular: (10000 - 833.33) × 0.005 = 45.83335 -> 45.83
    assert s.installments[1].interest == D("45.83")


def test_first_due_one_period_after_start_is_regular():
    a = build_schedule(principal=D("10000.00"), annual_rate=D("0.06"), method="equal_installment",
                       term_months=12, start_date=START)
    b = build_schedule(principal=D("10000.00"), annual_rate=D("0.06"), method="equal_installment",
                       term_months=12, start_date=START, first_due_date=date(2024, 2, 15))
    assert a == b
    assert a.installments[0].interest == D("50.00")  # 10000 × 0.06 / 12, not 31/360


@pytest.mark.parametrize("kwargs,code", [
    ({"principal": D("-1.00")}, "AMOUNT_INVALID"),
    ({"principal": D("100.001")}, "AMOUNT_INVALID"),
    ({"principal": 1000.0}, "NOT_DECIMAL"),
    ({"annual_rate": D("-0.01")}, "RATE_NEGATIVE"),
    ({"method": "balloon"}, "METHOD_UNSUPPORTED"),
    ({"term_months": 0}, "TERM_INVALID"),
    ({"term_months": 10, "frequency_months": 3}, "TERM_INVALID"),
    ({"first_due_date": date(2024, 1, 10)}, "FIRST_DUE_DATE_INVALID"),
    ({"first_due_date": date(2024, 6, 1)}, "FIRST_DUE_DATE_INVALID"),
    ({"day_count": "ACT/ACT"}, "DAY_COUNT_UNSUPPORTED"),
])
def test_build_schedule_validation(kwargs, code):
    args = dict(principal=D("1000.00"), annual_rate=D("0.05"), method="equal_installment", term_months=12,
                start_date=START)
    args.update(kwargs)
    with pytest.raises(ValidationFailed) as err:
        build_schedule(**args)
    assert err.value.code == code


def test_accrue_interest_day_counts():
    # 100000 × 0.0435 × 30/360 = 362.50 ; /365 -> 357.534... -> 357.53
    assert accrue_interest(D("100000.00"), D("0.0435"), date(2024, 3, 1), date(2024, 3, 31)) == D("362.50")
    assert accrue_interest(D("100000.00"), D("0.0435"), date(2024, 3, 1), date(2024, 3, 31),
                           "ACT/365") == D("357.53")
    # one day: 10000 × 0.0435 / 360 = 1.2083 -> 1.21
    assert accrue_interest(D("10000.00"), D("0.0435"), date(2024, 3, 1), date(2024, 3, 2)) == D("1.21")
    assert accrue_interest(D("10000.00"), D("0.0435"), date(2024, 3, 1), date(2024, 3, 1)) == D("0.00")
    with pytest.raises(ValidationFailed):
        accrue_interest(D("10000.00"), D("0.0435"), date(2024, 3, 2), date(2024, 3, 1))


def test_half_up_rounding():
    # 1000 × 0.0009 × 10/360 ... use a value ending in exactly 5 thousandths: 900 × 0.05 × 1/360 = 0.125
    assert accrue_interest(D("900.00"), D("0.05"), date(2024, 1, 1), date(2024, 1, 2)) == D("0.13")


def test_thirty_360_and_add_months():
    assert year_fraction(date(2024, 1, 31), date(2024, 2, 29), "30/360") == D(29) / 360
    assert year_fraction(date(2024, 1, 30), date(2024, 3, 31), "30/360") == D(60) / 360
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)


def test_annuity_payment_rejects_bad_periods():
    with pytest.raises(ValidationFailed):
        annuity_payment(D(1000), D("0.01"), 0)


# ---------------------------------------------------------------- due dates: the repayment day
# Expected dates are read off a calendar (2024 is a leap year, 2023 and 2025 are not); none is
# computed by the code under test.
DUE_DATE_VECTORS = [
    # (start, first_due_date given, frequency, expected due dates)
    # drawn on a 31st, the default first due date spelled out: month ends follow
    (date(2024, 1, 31), date(2024, 2, 29), 1,
     [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31), date(2024, 6, 30),
      date(2024, 7, 31)]),
    (date(2023, 1, 31), date(2023, 2, 28), 1,
     [date(2023, 2, 28), date(2023, 3, 31), date(2023, 4, 30), date(2023, 5, 31)]),
    # drawn on the 30th: the clamped 29 Feb does not turn the 30th into the 29th
    (date(2024, 1, 30), date(2024, 2, 29), 1,
     [date(2024, 2, 29), date(2024, 3, 30), date(2024, 4, 30), date(2024, 5, 30)]),
    # drawn on the 29th: the 29th stays (29 Feb exists in 2024, 28 Feb 2025 is clamped)
    (date(2024, 1, 29), date(2024, 2, 29), 1,
     [date(2024, 2, 29), date(2024, 3, 29), date(2024, 4, 29)]),
    (date(2024, 12, 29), date(2025, 1, 29), 1,
     [date(2025, 1, 29), date(2025, 2, 28), date(2025, 3, 29), date(2025, 4, 29)]),
    # quarterly from a 31st: 30 Nov, 28 Feb, 31 May, 31 Aug
    (date(2024, 8, 31), date(2024, 11, 30), 3,
     [date(2024, 11, 30), date(2025, 2, 28), date(2025, 5, 31), date(2025, 8, 31)]),
    # quarterly from the 30th, through a clamped 29 Feb
    (date(2023, 11, 30), date(2024, 2, 29), 3,
     [date(2024, 2, 29), date(2024, 5, 30), date(2024, 8, 30), date(2024, 11, 30)]),
    # a chosen repayment day (broken first period): its day of month is the repayment day
    (date(2024, 1, 10), date(2024, 2, 29), 1,
     [date(2024, 2, 29), date(2024, 3, 29), date(2024, 4, 29), date(2024, 5, 29)]),
    (date(2024, 1, 10), date(2024, 1, 31), 1,
     [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]),
    (date(2024, 1, 5), date(2024, 2, 20), 1,
     [date(2024, 2, 20), date(2024, 3, 20), date(2024, 4, 20)]),
]


@pytest.mark.parametrize("method", ["equal_installment", "equal_principal", "interest_periodic", "flat"])
@pytest.mark.parametrize("start,first_due,frequency,expected", DUE_DATE_VECTORS)
def test_due_dates_follow_the_repayment_day(method, start, first_due, frequency, expected):
    if method == "interest_periodic" and frequency not in (1, 3):
        pytest.skip("interest_periodic is monthly or quarterly")
    s = build_schedule(principal=D("6000.00"), annual_rate=D("0.06"), method=method,
                       term_months=frequency * len(expected), start_date=start, first_due_date=first_due,
                       frequency_months=frequency)
    assert [i.due_date for i in s.installments] == expected
    assert [i.period_start for i in s.installments] == [start] + expected[:-1]


@pytest.mark.parametrize("start,first_due,frequency,expected",
                         [v for v in DUE_DATE_VECTORS if v[1] == add_months(v[0], v[2])])
def test_spelling_out_the_default_first_due_date_changes_nothing(start, first_due, frequency, expected):
    kwargs = dict(principal=D("6000.00"), annual_rate=D("0.06"), method="equal_installment",
                  term_months=frequency * len(expected), start_date=start, frequency_months=frequency)
    assert build_schedule(**kwargs, first_due_date=first_due) == build_schedule(**kwargs)


def test_default_vectors_are_the_regular_first_due_date():
    # guards the vector table itself: these seven spell out start + one period (calendar), the rest don't
    defaults = [v for v in DUE_DATE_VECTORS if v[1] == add_months(v[0], v[2])]
    assert len(defaults) == 7


# ---------------------------------------------------------------- flat (add-on) interest reconciles
def test_flat_total_interest_is_principal_times_rate_times_term():
    # 1,250 at 15 % over 4 months: 1250 × 0.15 × 4/12 = 62.50 exactly (rounded once). Each period's
    # regular interest 1250 × 0.15 / 12 = 15.625 is truncated to 15.62 for periods 1-3 and the last
    # takes 62.50 − 3 × 15.62 = 15.64. (The old code charged 15.63 × 4 = 62.52.)
    s = build_schedule(principal=D("1250.00"), annual_rate=D("0.15"), method="flat", term_months=4,
                       start_date=START)
    assert s.total_interest == D("62.50")
    assert [i.interest for i in s.installments] == [D("15.62"), D("15.62"), D("15.62"), D("15.64")]
    assert [i.principal for i in s.installments] == [D("312.50")] * 4


@pytest.mark.parametrize("principal,rate,term,frequency,interest", [
    # 1000 × 0.10 × 3/12 = 25.00; 1000 × 0.10/12 = 8.333… -> 8.33, 8.33, last 25.00 − 16.66 = 8.34
    (D("1000.00"), D("0.10"), 3, 1, [D("8.33"), D("8.33"), D("8.34")]),
    # 3333.33 × 0.05 × 7/12 = 97.222125 -> 97.22; per month 13.888875 -> 13.88; last 97.22 − 6 × 13.88 = 13.94
    (D("3333.33"), D("0.05"), 7, 1, [D("13.88")] * 6 + [D("13.94")]),
    # 50000 × 0.0435 × 12/12 = 2175.00, quarterly 50000 × 0.0435 × 3/12 = 543.75 exactly
    (D("50000.00"), D("0.0435"), 12, 3, [D("543.75")] * 4),
    # 999.99 × 0.0999 × 24/12 = 199.798002 -> 199.80; half-yearly 999.99 × 0.0999 × 6/12 = 49.9495005
    # -> 49.94 ×3 = 149.82; last 199.80 − 149.82 = 49.98
    (D("999.99"), D("0.0999"), 24, 6, [D("49.94")] * 3 + [D("49.98")]),
])
def test_flat_interest_vectors(principal, rate, term, frequency, interest):
    s = build_schedule(principal=principal, annual_rate=rate, method="flat", term_months=term,
                       start_date=START, frequency_months=frequency)
    assert [i.interest for i in s.installments] == interest
    assert s.total_principal == principal


def test_flat_broken_first_period():
    # drawn 2024-01-05, first due 2024-02-20: 46 days ACT/360 on the original principal
    # 1200 × 0.12 × 46/360 = 18.40; the two regular months total 1200 × 0.12 × 2/12 = 24.00 (12.00 each)
    s = build_schedule(principal=D("1200.00"), annual_rate=D("0.12"), method="flat", term_months=3,
                       start_date=date(2024, 1, 5), first_due_date=date(2024, 2, 20))
    assert [i.interest for i in s.installments] == [D("18.40"), D("12.00"), D("12.00")]


@settings(max_examples=400, deadline=None)
@given(cents=st.integers(min_value=1, max_value=10**11),
       rate_bp=st.integers(min_value=0, max_value=3600),
       frequency=st.sampled_from([1, 3, 6, 12]),
       count=st.integers(min_value=1, max_value=60))
def test_flat_interest_reconciles_for_all_inputs(cents, rate_bp, frequency, count):
    principal = D(cents) / 100
    rate = D(rate_bp) / 10000
    term = frequency * count
    s = build_schedule(principal=principal, annual_rate=rate, method="flat", term_months=term,
                       start_date=START, frequency_months=frequency)
    # add-on interest: principal × annual rate × term in years, rounded half-up once to the fen
    expected = (principal * rate * term / 12).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    interest = [i.interest for i in s.installments]
    assert sum(interest) == expected
    assert all(x >= 0 for x in interest)
    assert len(set(interest[:-1])) <= 1
    assert interest[-1] >= interest[0]
    assert interest[-1] - interest[0] <= D("0.01") * count  # truncation loses < 1 fen a period
    assert s.total_principal == principal
