"""Repayment allocation, penalty interest and prepayment; expectations are hand-computed literals."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.loans.domain.repayment import (
    AmountsDue,
    PrepaymentRequest,
    allocate_repayment,
    penalty_interest,
    penalty_rate,
    recompute_after_prepayment,
)
from chalicelib.platform.errors import ValidationFailed

DUE = AmountsDue(penalty=D("12.50"), interest=D("300.00"), principal=D("1000.00"))  # total 1312.50


# ---------------------------------------------------------------- allocation
def test_default_order_penalty_interest_principal():
    result = allocate_repayment(D("500.00"), DUE)
    # 500.00 - 12.50 (penalty) - 300.00 (interest) = 187.50 left for principal
    assert result.applied == AmountsDue(D("12.50"), D("300.00"), D("187.50"))
    # principal still due: 1000.00 - 187.50 = 812.50
    assert result.remaining == AmountsDue(D("0.00"), D("0.00"), D("812.50"))
    assert result.unapplied == D("0.00")


def test_partial_payment_stops_inside_interest():
    result = allocate_repayment(D("100.00"), DUE)
    # 100.00 - 12.50 = 87.50 to interest; interest left 300.00 - 87.50 = 212.50; nothing to principal
    assert result.applied == AmountsDue(D("12.50"), D("87.50"), D("0.00"))
    assert result.remaining == AmountsDue(D("0.00"), D("212.50"), D("1000.00"))


def test_configurable_order_principal_first():
    result = allocate_repayment(D("500.00"), DUE, order=["principal", "interest", "penalty"])
    # all 500.00 to principal (1000.00 due) -> 500.00 principal left; interest and penalty untouched
    assert result.applied == AmountsDue(D("0.00"), D("0.00"), D("500.00"))
    assert result.remaining == AmountsDue(D("12.50"), D("300.00"), D("500.00"))


def test_configurable_order_interest_first():
    result = allocate_repayment(D("305.00"), DUE, order=("interest", "penalty", "principal"))
    # 305.00 - 300.00 interest = 5.00 to penalty (12.50 due) -> 7.50 penalty left
    assert result.applied == AmountsDue(D("5.00"), D("300.00"), D("0.00"))
    assert result.remaining.penalty == D("7.50")


def test_overpayment_is_unapplied():
    result = allocate_repayment(D("1500.00"), DUE)
    # 1500.00 - 1312.50 total due = 187.50 unapplied
    assert result.applied == DUE
    assert result.remaining.total == D("0.00")
    assert result.unapplied == D("187.50")
    assert result.applied.total + result.unapplied == D("1500.00")


@pytest.mark.parametrize("order", [["penalty", "interest"], ["penalty", "interest", "principal", "fee"],
                                   ["penalty", "penalty", "principal"]])
def test_bad_order_rejected(order):
    with pytest.raises(ValidationFailed) as err:
        allocate_repayment(D("1.00"), DUE, order=order)
    assert err.value.code == "ALLOCATION_ORDER_INVALID"


@pytest.mark.parametrize("amount", [D("-1.00"), D("1.005"), 1.0])
def test_bad_amount_rejected(amount):
    with pytest.raises(ValidationFailed):
        allocate_repayment(amount, DUE)


# ---------------------------------------------------------------- penalty interest
def test_penalty_rate_is_contract_rate_plus_half():
    # 0.0435 × 1.5 = 0.06525
    assert penalty_rate(D("0.0435")) == D("0.06525")


def test_penalty_interest_act_360():
    # 10000 × 0.0435 × 1.5 × 30 / 360 = 10000 × 0.06525 × 30 / 360 = 54.375 -> 54.38 (half-up)
    assert penalty_interest(D("10000.00"), D("0.0435"), days=30) == D("54.38")


def test_penalty_interest_uplift_30pct():
    # 10000 × 0.0435 × 1.3 × 30 / 360 = 10000 × 0.05655 / 12 = 47.125 -> 47.13
    assert penalty_interest(D("10000.00"), D("0.0435"), D("0.3"), days=30) == D("47.13")


def test_penalty_interest_act_365():
    # 10000 × 0.06525 × 30 / 365 = 53.630... -> 53.63
    assert penalty_interest(D("10000.00"), D("0.0435"), days=30, day_count="ACT/365") == D("53.63")


def test_penalty_interest_zero_days():
    assert penalty_interest(D("10000.00"), D("0.0435"), days=0) == D("0.00")


@pytest.mark.parametrize("kwargs", [{"days": -1}, {"days": 1, "day_count": "ACT/ACT"}])
def test_penalty_interest_rejects(kwargs):
    with pytest.raises(ValidationFailed):
        penalty_interest(D("10000.00"), D("0.0435"), **kwargs)


# ---------------------------------------------------------------- prepayment
def request(**overrides) -> PrepaymentRequest:
    """Loan of 12000.00 at 6 % (0.5 % a month), 12 monthly installments from 2024-01-15; six paid, so
    6000.00 (equal principal) is outstanding on 2024-07-15, next due 2024-08-15, 6 installments left."""
    args = dict(outstanding_principal=D("6000.00"), prepayment_amount=D("3000.00"), annual_rate=D("0.06"),
                method="equal_principal", mode="reduce_installment", prepayment_date=date(2024, 7, 15),
                interest_from=date(2024, 7, 15),
                remaining_due_dates=(date(2024, 8, 15), date(2024, 9, 15), date(2024, 10, 15), date(2024, 11, 15),
                                     date(2024, 12, 15), date(2025, 1, 15)),
                current_payment=None)
    args.update(overrides)
    return PrepaymentRequest(**args)


def test_equal_principal_reduce_installment():
    result = recompute_after_prepayment(request())
    insts = result.schedule.installments
    assert result.interest_due_now == D("0.00")  # prepaid on the due date: no accrued interest
    assert result.new_principal == D("3000.00")
    # 3000.00 / 6 = 500.00 a month, same maturity 2025-01-15
    assert [i.principal for i in insts] == [D("500.00")] * 6
    assert insts[-1].due_date == date(2025, 1, 15)
    # month 1 interest: 3000.00 × 0.005 = 15.00 (full regular period); month 2: 2500.00 × 0.005 = 12.50
    assert (insts[0].interest, insts[1].interest) == (D("15.00"), D("12.50"))


def test_equal_principal_shorten_term():
    result = recompute_after_prepayment(request(mode="shorten_term", current_payment=D("1000.00")))
    insts = result.schedule.installments
    # keep 1000.00 principal a month: 3000.00 / 1000.00 = 3 installments, maturity 2024-10-15
    assert [i.principal for i in insts] == [D("1000.00")] * 3
    assert insts[-1].due_date == date(2024, 10, 15)
    # interest 3000 × 0.005 = 15.00, 2000 × 0.005 = 10.00, 1000 × 0.005 = 5.00
    assert [i.interest for i in insts] == [D("15.00"), D("10.00"), D("5.00")]


def test_equal_installment_reduce_installment():
    result = recompute_after_prepayment(request(method="equal_installment"))
    insts = result.schedule.installments
    assert len(insts) == 6
    # 3000 × 0.005 / (1 - 1.005^-6) = 508.786... -> 508.79
    assert insts[0].payment == D("508.79")
    assert insts[0].interest == D("15.00")  # 3000.00 × 0.005
    assert insts[0].principal == D("493.79")  # 508.79 - 15.00
    assert result.schedule.total_principal == D("3000.00")
    assert insts[-1].closing_balance == D("0.00")


def test_equal_installment_shorten_term():
    # current installment on 6000.00 over 6 months: 6000 × 0.005 / (1 - 1.005^-6) = 1017.57
    result = recompute_after_prepayment(request(method="equal_installment", mode="shorten_term",
                                                current_payment=D("1017.57")))
    insts = result.schedule.installments
    # 3 periods: annuity(3000, 0.005, 3) = 1010.02 <= 1017.57 but annuity(3000, 0.005, 2) = 1511.26 > it
    assert len(insts) == 3
    # m1: interest 3000.00 × 0.005 = 15.00, principal 1017.57 - 15.00 = 1002.57, balance 1997.43
    assert (insts[0].interest, insts[0].principal, insts[0].closing_balance) == \
        (D("15.00"), D("1002.57"), D("1997.43"))
    # m2: interest 1997.43 × 0.005 = 9.98715 -> 9.99, principal 1007.58, balance 989.85
    assert (insts[1].interest, insts[1].principal, insts[1].closing_balance) == \
        (D("9.99"), D("1007.58"), D("989.85"))
    # m3 (residue): interest 989.85 × 0.005 = 4.94925 -> 4.95, principal 989.85, payment 994.80
    assert (insts[2].interest, insts[2].principal, insts[2].payment) == (D("4.95"), D("989.85"), D("994.80"))


def test_mid_period_prepayment_settles_accrued_interest_and_breaks_first_period():
    result = recompute_after_prepayment(request(prepayment_date=date(2024, 7, 25)))
    # accrued on the whole 6000.00 for 10 days: 6000 × 0.06 × 10 / 360 = 10.00
    assert result.interest_due_now == D("10.00")
    assert result.amount_due_now == D("3010.00")  # 3000.00 + 10.00
    first = result.schedule.installments[0]
    # broken period 2024-07-25 .. 2024-08-15 = 21 days: 3000 × 0.06 × 21 / 360 = 10.50
    assert first.period_start == date(2024, 7, 25)
    assert first.interest == D("10.50")


@pytest.mark.parametrize("mode,current_payment,expected", [
    ("reduce_installment", None, [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31)]),
    # keep 1000.00 principal a month on 2000.00: two installments, the contract's next two dates
    ("shorten_term", D("1000.00"), [date(2024, 2, 29), date(2024, 3, 31)]),
])
def test_prepayment_keeps_the_contracts_month_end_due_dates(mode, current_payment, expected):
    # drawn 2024-01-31 (month ends: 29 Feb, 31 Mar, 30 Apr, 31 May from a calendar), 4000.00 outstanding,
    # 2000.00 prepaid on 2024-02-10: the next due date is a clamped 29 Feb, but the later ones stay month ends
    result = recompute_after_prepayment(request(
        outstanding_principal=D("4000.00"), prepayment_amount=D("2000.00"), mode=mode,
        current_payment=current_payment, prepayment_date=date(2024, 2, 10), interest_from=date(2024, 1, 31),
        remaining_due_dates=(date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31))))
    assert [i.due_date for i in result.schedule.installments] == expected


def test_full_prepayment_empties_schedule():
    result = recompute_after_prepayment(request(prepayment_amount=D("6000.00")))
    assert result.new_principal == D("0.00")
    assert result.schedule.installments == []


@pytest.mark.parametrize("overrides,code", [
    ({"prepayment_amount": D("6000.01")}, "PREPAYMENT_EXCEEDS_BALANCE"),
    ({"mode": "skip_payment"}, "PREPAYMENT_MODE_UNSUPPORTED"),
    ({"method": "interest_periodic", "mode": "shorten_term", "current_payment": D("1.00")},
     "PREPAYMENT_MODE_UNSUPPORTED"),
    ({"method": "bullet"}, "PREPAYMENT_MODE_UNSUPPORTED"),
    ({"mode": "shorten_term"}, "PREPAYMENT_INVALID"),
    ({"prepayment_date": date(2024, 8, 15)}, "PREPAYMENT_INVALID"),
    ({"remaining_due_dates": ()}, "PREPAYMENT_INVALID"),
    ({"remaining_due_dates": (date(2024, 9, 15), date(2024, 8, 15))}, "PREPAYMENT_INVALID"),
])
def test_prepayment_validation(overrides, code):
    with pytest.raises(ValidationFailed) as err:
        recompute_after_prepayment(request(**overrides))
    assert err.value.code == code
