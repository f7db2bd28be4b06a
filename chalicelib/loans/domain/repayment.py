"""Repayment allocation, penalty interest and prepayment recomputation: pure functions, no I/O.

Money is CNY ``Decimal`` at the fen; rates are annual ``Decimal`` fractions (see
:mod:`chalicelib.loans.domain.schedules` for the rounding rule and day counts).

Sources of the rules
--------------------
* Allocation order: the default 罚息 → 利息 → 本金 (penalty, then interest, then principal) is the
  usual order in Chinese loan contracts ("先还罚息、再还利息、后还本金"); the statutory fallback when
  the parties agreed nothing is 民法典 第五百六十一条 (实现债权的有关费用 → 利息 → 主债务). The order is
  a parameter because products and contracts differ.
* Penalty interest (罚息) on overdue principal: PBOC 关于人民币贷款利率有关问题的通知 (银发〔2003〕251号):
  the overdue penalty rate is the contract rate plus 30 %–50 %; the default ``uplift`` here is 50 %.
* Prepayment (提前还款) in two modes: ``shorten_term`` (缩短期限, keep the installment) and
  ``reduce_installment`` (减少月供, keep the remaining term): the two options commonly offered by
  Chinese banks for 等额本息 / 等额本金 loans.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from chalicelib.loans.domain.schedules import (
    EQUAL_INSTALLMENT,
    EQUAL_PRINCIPAL,
    INTEREST_PERIODIC,
    ZERO,
    Installment,
    Schedule,
    _decimal,
    accrue_interest,
    add_months,
    amortize,
    annuity_payment,
    round_fen,
    year_fraction,
)
from chalicelib.platform.errors import ValidationFailed

COMPONENTS = ("penalty", "interest", "principal")
DEFAULT_ALLOCATION_ORDER = ("penalty", "interest", "principal")
DEFAULT_PENALTY_UPLIFT = Decimal("0.5")

SHORTEN_TERM = "shorten_term"
REDUCE_INSTALLMENT = "reduce_installment"
PREPAYMENT_MODES = (SHORTEN_TERM, REDUCE_INSTALLMENT)


def _money(value: object, name: str, *, allow_zero: bool = True) -> Decimal:
    amount = _decimal(value, name)
    if amount < 0 or (not allow_zero and amount == 0):
        raise ValidationFailed(f"{name} must be {'non-negative' if allow_zero else 'positive'}",
                               code="AMOUNT_INVALID", field=name)
    if amount != round_fen(amount):
        raise ValidationFailed(f"{name} must be in whole fen", code="AMOUNT_INVALID", field=name)
    return round_fen(amount)


# --------------------------------------------------------------------------------------------------
# allocation
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AmountsDue:
    """What the borrower owes now, by component, in CNY at the fen (all ≥ 0).

    ``penalty`` 罚息 (penalty interest on overdue principal), ``interest`` 利息 (contract interest
    due), ``principal`` 本金 (principal due).
    """

    penalty: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.penalty + self.interest + self.principal


@dataclass(frozen=True)
class Allocation:
    """Result of :func:`allocate_repayment` (CNY at the fen).

    ``applied`` is what the payment paid off per component, ``remaining`` what is still due, and
    ``unapplied`` the part of the payment beyond everything due (for the caller to refund or treat
    as a prepayment). ``applied.total + unapplied == amount``.
    """

    amount: Decimal
    applied: AmountsDue
    remaining: AmountsDue
    unapplied: Decimal


def allocate_repayment(amount: Decimal, due: AmountsDue,
                       order: list[str] | tuple[str, ...] = DEFAULT_ALLOCATION_ORDER) -> Allocation:
    """Apply a repayment of ``amount`` CNY to ``due`` component by component in ``order``.

    Each component is paid in full before the next one receives anything (waterfall). ``order`` must
    be a permutation of ``("penalty", "interest", "principal")``; the default is penalty → interest →
    principal (see the module docstring for the source). Raises ``ValidationFailed`` with
    ``AMOUNT_INVALID`` (negative, not whole fen, float) or ``ALLOCATION_ORDER_INVALID``.
    """
    amount = _money(amount, "amount")
    order = tuple(order)
    if sorted(order) != sorted(COMPONENTS):
        raise ValidationFailed("order must list penalty, interest and principal exactly once",
                               code="ALLOCATION_ORDER_INVALID", field="order")
    owed = {name: _money(getattr(due, name), f"due.{name}") for name in COMPONENTS}
    applied = {name: ZERO for name in COMPONENTS}
    left = amount
    for name in order:
        take = min(left, owed[name])
        applied[name] = take
        left -= take
    return Allocation(amount=amount, applied=AmountsDue(**applied),
                      remaining=AmountsDue(**{n: owed[n] - applied[n] for n in COMPONENTS}),
                      unapplied=left)


# --------------------------------------------------------------------------------------------------
# penalty interest
# --------------------------------------------------------------------------------------------------
def penalty_rate(contract_rate: Decimal, uplift: Decimal = DEFAULT_PENALTY_UPLIFT) -> Decimal:
    """Annual penalty rate = ``contract_rate × (1 + uplift)`` (银发〔2003〕251号: uplift 30 %–50 %)."""
    contract_rate = _decimal(contract_rate, "contract_rate")
    uplift = _decimal(uplift, "uplift")
    if contract_rate < 0:
        raise ValidationFailed("contract_rate must not be negative", code="RATE_NEGATIVE", field="contract_rate")
    if uplift < 0:
        raise ValidationFailed("uplift must not be negative", code="RATE_NEGATIVE", field="uplift")
    return contract_rate * (1 + uplift)


def penalty_interest(overdue_principal: Decimal, contract_rate: Decimal,
                     uplift: Decimal = DEFAULT_PENALTY_UPLIFT, *, days: int,
                     day_count: str = "ACT/360") -> Decimal:
    """Penalty interest (罚息) on ``overdue_principal`` CNY for ``days`` days overdue, in CNY.

    ``overdue_principal × contract_rate × (1 + uplift) × days / basis`` rounded half-up to the fen,
    where basis is 360 for ``ACT/360`` and ``30/360`` and 365 for ``ACT/365``. The default uplift of
    0.5 is the upper end of 银发〔2003〕251号 (contract rate + 30 %–50 %). Raises ``ValidationFailed``
    for negative amounts, rates or days, or an unknown day count.
    """
    overdue_principal = _money(overdue_principal, "overdue_principal")
    rate = penalty_rate(contract_rate, uplift)
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise ValidationFailed("days must be a non-negative integer", code="DAYS_INVALID", field="days")
    if day_count == "ACT/365":
        basis = Decimal(365)
    elif day_count in ("ACT/360", "30/360"):
        basis = Decimal(360)
    else:
        raise ValidationFailed("day_count must be ACT/360, ACT/365 or 30/360", code="DAY_COUNT_UNSUPPORTED",
                               field="day_count")
    return round_fen(overdue_principal * rate * days / basis)


# --------------------------------------------------------------------------------------------------
# prepayment
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PrepaymentRequest:
    """A partial prepayment (提前还款) of an amortizing loan, between two due dates.

    * ``outstanding_principal``: principal outstanding on ``prepayment_date`` (CNY), after every
      installment due before it has been paid.
    * ``prepayment_amount``: principal the borrower prepays (CNY, > 0, ≤ outstanding).
    * ``interest_from``: date interest was last settled (previous due date, or the drawdown date).
    * ``remaining_due_dates``: the contract's due dates still open, in order, from the next one
      (> ``prepayment_date``) on: the stored schedule's. A prepayment changes amounts, never the
      repayment day, so the recomputed schedule keeps these dates (all of them for
      ``reduce_installment``, the first ``k`` for ``shorten_term``). They are not re-derived from the
      next due date: on a loan drawn on the 31st the next due date may be a clamped 29 Feb or 30 Apr,
      and the following ones are still month ends (:func:`schedules.due_dates`).
    * ``current_payment``: the current installment (等额本息), or the principal per period
      (等额本金); needed for ``shorten_term``.
    * ``method``: ``equal_installment``, ``equal_principal`` or ``interest_periodic`` (the last
      only with ``reduce_installment``).
    """

    outstanding_principal: Decimal
    prepayment_amount: Decimal
    annual_rate: Decimal
    method: str
    mode: str
    prepayment_date: date
    interest_from: date
    remaining_due_dates: tuple[date, ...]
    current_payment: Decimal | None = None
    frequency_months: int = 1
    day_count: str = "ACT/360"


@dataclass(frozen=True)
class PrepaymentResult:
    """Outcome of :func:`recompute_after_prepayment` (CNY at the fen).

    ``interest_due_now``: interest on the whole outstanding principal from ``interest_from`` to
    ``prepayment_date`` (by day count), settled with the prepayment; ``amount_due_now`` =
    prepayment + that interest; ``new_principal``: principal after the prepayment; ``schedule``: the
    remaining schedule from ``prepayment_date`` (its first period runs to the next due date), empty when the
    loan is repaid in full.
    """

    interest_due_now: Decimal
    amount_due_now: Decimal
    new_principal: Decimal
    schedule: Schedule


def recompute_after_prepayment(request: PrepaymentRequest) -> PrepaymentResult:
    """Recompute the remaining schedule after a partial prepayment.

    * ``reduce_installment`` (减少月供): the remaining installments are re-amortized on
      the reduced principal by the same method, so the installment falls and the maturity stays.
    * ``shorten_term`` (缩短期限): 等额本息 keeps ``current_payment`` and needs the fewest periods
      ``k`` such that the rounded annuity payment on the new principal over ``k`` periods does not
      exceed it; the last installment takes the residue. 等额本金 keeps the principal per period
      (``current_payment``) and needs ``ceil(new_principal / current_payment)`` periods.

    The first new period runs from ``prepayment_date`` to the next due date; unless the prepayment
    falls on a due date (a full regular period) it is a broken period accruing interest by the day
    count; the due dates are ``remaining_due_dates`` (unchanged). Raises
    ``ValidationFailed`` (``PREPAYMENT_INVALID``, ``PREPAYMENT_EXCEEDS_BALANCE``,
    ``PREPAYMENT_MODE_UNSUPPORTED``, ``AMOUNT_INVALID``...).
    """
    r = request
    outstanding, prepay, rate, dues_left = _checked(r)
    interest_now = accrue_interest(outstanding, rate, r.interest_from, r.prepayment_date, r.day_count)
    new_principal = outstanding - prepay
    if new_principal == 0:
        empty = Schedule(method=r.method, principal=new_principal, annual_rate=rate, day_count=r.day_count)
        return PrepaymentResult(interest_now, prepay + interest_now, new_principal, empty)
    months = r.frequency_months
    count, fixed_payment, fixed_principal = len(dues_left), None, None
    if r.mode == SHORTEN_TERM:
        count, fixed_payment, fixed_principal = _shortened(r, new_principal, rate * months / 12, dues_left)
    dues = list(dues_left[:count])
    periods = list(zip([r.prepayment_date] + dues[:-1], dues, strict=False))
    # prepaying on a due date leaves a full regular period; any other day starts a broken period
    broken = add_months(r.prepayment_date, months) != dues_left[0]
    installments: list[Installment] = amortize(
        principal=new_principal, annual_rate=rate, method=r.method, periods=periods, frequency_months=months,
        day_count=r.day_count, first_period_broken=broken, fixed_payment=fixed_payment,
        fixed_principal=fixed_principal)
    schedule = Schedule(method=r.method, principal=new_principal, annual_rate=rate, day_count=r.day_count,
                        installments=installments)
    return PrepaymentResult(interest_now, prepay + interest_now, new_principal, schedule)


def _checked(r: PrepaymentRequest) -> tuple[Decimal, Decimal, Decimal, tuple[date, ...]]:
    """The request's outstanding principal, prepayment, rate and remaining due dates, validated (the errors of
    :func:`recompute_after_prepayment`)."""
    outstanding = _money(r.outstanding_principal, "outstanding_principal", allow_zero=False)
    prepay = _money(r.prepayment_amount, "prepayment_amount", allow_zero=False)
    rate = _decimal(r.annual_rate, "annual_rate")
    if rate < 0:
        raise ValidationFailed("annual_rate must not be negative", code="RATE_NEGATIVE", field="annual_rate")
    if prepay > outstanding:
        raise ValidationFailed("prepayment exceeds the outstanding principal",
                               code="PREPAYMENT_EXCEEDS_BALANCE", field="prepayment_amount")
    if r.mode not in PREPAYMENT_MODES:
        raise ValidationFailed(f"mode must be one of {', '.join(PREPAYMENT_MODES)}",
                               code="PREPAYMENT_MODE_UNSUPPORTED", field="mode")
    if r.method not in (EQUAL_INSTALLMENT, EQUAL_PRINCIPAL, INTEREST_PERIODIC) or (
            r.method == INTEREST_PERIODIC and r.mode == SHORTEN_TERM):
        raise ValidationFailed(f"{r.mode} is not supported for method {r.method}",
                               code="PREPAYMENT_MODE_UNSUPPORTED", field="method")
    dues_left = tuple(r.remaining_due_dates or ())
    if not dues_left or any(not isinstance(d, date) for d in dues_left) or \
            any(a >= b for a, b in zip(dues_left, dues_left[1:], strict=False)):
        raise ValidationFailed("remaining_due_dates must be the open due dates in increasing order",
                               code="PREPAYMENT_INVALID", field="remaining_due_dates")
    if not r.interest_from <= r.prepayment_date < dues_left[0]:
        raise ValidationFailed("dates must satisfy interest_from <= prepayment_date < next due date",
                               code="PREPAYMENT_INVALID", field="prepayment_date")
    year_fraction(r.interest_from, r.prepayment_date, r.day_count)  # validates the day count
    return outstanding, prepay, rate, dues_left


def _shortened(r: PrepaymentRequest, new_principal: Decimal, per_rate: Decimal, dues_left: tuple[date, ...]
               ) -> tuple[int, Decimal | None, Decimal | None]:
    """``shorten_term``: the number of periods left and the payment (等额本息) or principal per period (等额本金)
    kept, ``(count, fixed_payment, fixed_principal)``."""
    keep = _money(r.current_payment, "current_payment", allow_zero=False) if r.current_payment is not None else None
    if keep is None:
        raise ValidationFailed("current_payment is required for shorten_term",
                               code="PREPAYMENT_INVALID", field="current_payment")
    if r.method == EQUAL_INSTALLMENT:
        count = next((k for k in range(1, len(dues_left) + 1)
                      if round_fen(annuity_payment(new_principal, per_rate, k)) <= keep), len(dues_left))
        return count, keep, None
    whole, part = divmod(new_principal, keep)
    return min(int(whole) + (1 if part else 0), len(dues_left)), None, keep
