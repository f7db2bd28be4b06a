"""Repayment schedules (还款计划) and interest accrual: pure loan mathematics, no I/O.

Units
-----
* Money is ``Decimal`` in CNY quantised to the fen (0.01); ``float`` is rejected.
* Rates are annual ``Decimal`` fractions (``Decimal("0.0435")`` = 4.35 % a year).
* Day counts: ``"ACT/360"`` (default; daily rate = annual rate / 360, the convention of the PBOC
  人民币利率管理规定 (银发〔1999〕77号, 年利率÷360=日利率) and of the project GLOSSARY), ``"ACT/365"`` (fixed 365) and
  ``"30/360"`` (ISDA 2006 s.4.16(f) bond basis).

Repayment methods (还款方式, names used by the API)
---------------------------------------------------
* ``equal_installment`` 等额本息: constant payment (annuity). Payment formula
  ``A = P·r / (1 − (1 + r)^−n)`` (``A = P/n`` when ``r = 0``), the formula of numpy-financial ``pmt``
  and spreadsheet ``PMT``.
* ``equal_principal`` 等额本金: constant principal ``P/n`` plus interest on the opening balance.
* ``interest_periodic`` 按月/按季付息、到期还本: interest every 1 or 3 months, principal at maturity.
* ``bullet`` 利随本清: one installment at maturity with all principal and all interest; the interest is
  accrued on the actual days from start to maturity by the day count (``P × annual × days / 360``).
* ``flat`` 平息 (add-on interest): equal principal; interest is charged on the *original* principal
  for the whole term, so the total interest of a regular schedule is exactly
  ``P × annual_rate × term_months / 12`` rounded half-up **once** to the fen (1,250 CNY at 15 % over
  4 months: 62.50). Periods ``1..n−1`` carry the regular period interest ``P × annual_rate × m / 12``
  truncated to the fen and the last period the remainder (1,250: 15.62, 15.62, 15.62, 15.64), so
  the column sums to the total and no period is negative or smaller than the others. A broken first
  period accrues its own interest on the original principal by the day count; the regular periods
  after it then total ``P × annual_rate × m × (n−1) / 12`` rounded once.

Periodic rate
-------------
For a regular (full) period of ``m`` months the periodic rate is ``annual_rate × m / 12``; this is the
convention of every published reference case used in the tests (numpy-financial, Excel/Claris/
SpreadJS ``PMT`` examples, the Chinese 等额本息 worked examples: monthly rate = annual rate / 12).
A *broken* first period (``first_due_date`` is not exactly one period after ``start_date``) accrues
interest on the actual days by the day count; its principal part is the same as in the regular
schedule, so the first payment differs from the rest by ``broken interest − regular interest``.

Rounding rule
-------------
Each period's interest and principal are rounded **half-up to the fen** (``ROUND_HALF_UP``, the
rounding of 四舍五入), except ``flat`` interest, whose total is rounded once (see above). For
``equal_installment`` the payment is the annuity payment rounded half-up to the fen and each period's
principal is ``payment − rounded interest``. The rounding residue goes to
the **last installment**: its principal is whatever balance remains, so the principal column sums
exactly to the loan, and its payment is that principal plus its (rounded) interest. Because of this the
sum of a rounded schedule can differ by a few fen from the "rounded payment × n" totals that some
published calculators print.

Due dates
---------
Every due date is counted in whole periods (``m`` months) from one anchor date, never from the
previous, possibly clamped, due date: a day that the target month lacks is clamped to that month's
last day (31 Jan + 1 month = 29 Feb 2024) and the anchor's day comes back in later months. This is
a day-of-month roll (FpML ``RollConventionEnum`` "1".."30", with 31 behaving as ``EOM``: month
ends), the "corresponding day" (对应日) of Chinese loan contracts. The anchor is:

* ``start_date`` when ``first_due_date`` is omitted **or equals the regular first due date**
  (``add_months(start_date, m)``): due ``k`` = ``start_date + k·m`` months, the drawdown's
  corresponding day. A loan drawn on 31 Jan 2024 is due 29 Feb, 31 Mar, 30 Apr, 31 May ... whether
  or not the caller spelled out ``first_due_date = 2024-02-29``: stating the default must not change
  the schedule.
* ``first_due_date`` otherwise (a chosen repayment day, broken first period): due ``k`` =
  ``first_due_date + (k − 1)·m`` months, so its day of month is the repayment day (first due
  2024-02-20: 20 Mar, 20 Apr ...; first due 2024-02-29 after a drawdown on 10 Jan: 29 Mar,
  29 Apr ...). A borrower who wants month ends chooses a 31st, and a 31st always lies within the
  two periods a first due date may be after ``start_date``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal

from chalicelib.loans.domain.interest import (  # noqa: F401 - DAY_COUNTS, accrue_interest: part of this module's interface
    DAY_COUNTS,
    FEN,
    ZERO,
    _check_day_count,
    _decimal,
    accrue_interest,
    add_months,
    annuity_payment,
    round_fen,
    year_fraction,
)
from chalicelib.platform.errors import ValidationFailed

EQUAL_INSTALLMENT = "equal_installment"
EQUAL_PRINCIPAL = "equal_principal"
INTEREST_PERIODIC = "interest_periodic"
BULLET = "bullet"
FLAT = "flat"
METHODS = (EQUAL_INSTALLMENT, EQUAL_PRINCIPAL, INTEREST_PERIODIC, BULLET, FLAT)

FREQUENCIES = (1, 3, 6, 12)



# --------------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------------------
# schedules
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Installment:
    """One installment (期) of a schedule. All money in CNY, quantised to the fen.

    ``period_start`` (inclusive) .. ``due_date`` (exclusive of interest on the due day itself) is
    the interest period; ``payment = principal + interest``; ``closing_balance`` is the principal
    outstanding after this installment is paid.
    """

    number: int
    due_date: date
    period_start: date
    principal: Decimal
    interest: Decimal
    payment: Decimal
    closing_balance: Decimal


@dataclass(frozen=True)
class Schedule:
    """A repayment schedule: the installments plus the inputs and totals.

    ``total_principal`` always equals ``principal`` (the rounding residue sits in the last
    installment); totals are in CNY at the fen.
    """

    method: str
    principal: Decimal
    annual_rate: Decimal
    day_count: str
    installments: list[Installment] = field(default_factory=list)

    @property
    def total_principal(self) -> Decimal:
        return sum((i.principal for i in self.installments), ZERO)

    @property
    def total_interest(self) -> Decimal:
        return sum((i.interest for i in self.installments), ZERO)

    @property
    def total_payment(self) -> Decimal:
        return sum((i.payment for i in self.installments), ZERO)

    @property
    def maturity_date(self) -> date:
        """The due date of the last installment (a schedule has at least one: :func:`build_schedule`)."""
        return self.installments[-1].due_date


def due_dates(start_date: date, first_due_date: date | None, frequency_months: int, periods: int) -> list[date]:
    """The ``periods`` due dates of a schedule drawn on ``start_date`` (see "Due dates" above).

    ``first_due_date`` ``None`` or equal to ``add_months(start_date, frequency_months)`` anchors
    on ``start_date`` (放款对应日); any other first due date anchors on itself. Every date is
    ``add_months(anchor, …)`` so a clamped month end never shifts the later dates. Inputs are assumed
    validated by the caller (:func:`build_schedule`).
    """
    if first_due_date is None or first_due_date == add_months(start_date, frequency_months):
        return [add_months(start_date, frequency_months * k) for k in range(1, periods + 1)]
    return [add_months(first_due_date, frequency_months * k) for k in range(periods)]


def _period_dates(start_date: date, first_due_date: date | None, frequency_months: int,
                  periods: int) -> list[tuple[date, date]]:
    """(period_start, due_date) pairs; the first period may be broken."""
    dues = due_dates(start_date, first_due_date, frequency_months, periods)
    starts = [start_date] + dues[:-1]
    return list(zip(starts, dues, strict=False))


def _period_interest(balance: Decimal, annual_rate: Decimal, period_start: date, due: date,
                     frequency_months: int, day_count: str, broken: bool) -> Decimal:
    if broken:
        return round_fen(balance * annual_rate * year_fraction(period_start, due, day_count))
    return round_fen(balance * annual_rate * frequency_months / 12)


@dataclass(frozen=True)
class _Terms:
    """What every period of one amortisation shares (see :func:`amortize`)."""

    method: str
    principal: Decimal
    annual_rate: Decimal
    frequency_months: int
    day_count: str
    count: int
    rate_per_period: Decimal
    payment: Decimal = ZERO            # equal_installment: the constant payment
    per_principal: Decimal = ZERO      # equal_principal, flat: the principal of a regular period
    flat_total: Decimal = ZERO         # flat: the interest of the regular periods, rounded once
    flat_per: Decimal = ZERO           # flat: a regular period's interest, truncated to the fen
    regular_count: int = 0             # flat: how many regular periods there are


def _terms(principal: Decimal, annual_rate: Decimal, method: str, count: int, frequency_months: int,
           day_count: str, first_period_broken: bool, fixed_payment: Decimal | None,
           fixed_principal: Decimal | None) -> _Terms:
    rate_per_period = annual_rate * frequency_months / 12
    payment = per_principal = flat_total = flat_per = ZERO
    regular_count = 0
    if method == EQUAL_INSTALLMENT:
        payment = fixed_payment if fixed_payment is not None else round_fen(
            annuity_payment(principal, rate_per_period, count))
    elif method in (EQUAL_PRINCIPAL, FLAT):
        per_principal = fixed_principal if fixed_principal is not None else round_fen(principal / count)
    if method == FLAT:
        # add-on interest: the regular periods' total is rounded once; each but the last carries the period
        # interest truncated to the fen, the last the remainder (see the module docstring)
        regular_count = count - 1 if first_period_broken else count
        flat_total = round_fen(principal * annual_rate * frequency_months * regular_count / 12)
        flat_per = (principal * annual_rate * frequency_months / 12).quantize(FEN, rounding=ROUND_DOWN)
    return _Terms(method, principal, annual_rate, frequency_months, day_count, count, rate_per_period, payment,
                  per_principal, flat_total, flat_per, regular_count)


def _split(t: _Terms, balance: Decimal, period_start: date, due: date, *, last: bool,
           broken: bool) -> tuple[Decimal, Decimal]:
    """``(interest, principal part)`` of one period (the part not yet rounded) at opening ``balance``."""
    if t.method == BULLET:  # one period from start to maturity
        return round_fen(t.principal * t.annual_rate * year_fraction(period_start, due, t.day_count)), balance
    if t.method == FLAT:
        if broken:
            interest = _period_interest(t.principal, t.annual_rate, period_start, due, t.frequency_months,
                                        t.day_count, broken)
        else:
            interest = t.flat_total - t.flat_per * (t.regular_count - 1) if last else t.flat_per
        return interest, balance if last else min(t.per_principal, balance)
    interest = _period_interest(balance, t.annual_rate, period_start, due, t.frequency_months, t.day_count, broken)
    if last:
        return interest, balance
    if t.method == INTEREST_PERIODIC:
        return interest, ZERO
    if t.method == EQUAL_PRINCIPAL:
        return interest, min(t.per_principal, balance)
    regular = round_fen(balance * t.rate_per_period) if broken else interest  # EQUAL_INSTALLMENT
    return interest, min(max(t.payment - regular, ZERO), balance)


def amortize(*, principal: Decimal, annual_rate: Decimal, method: str, periods: list[tuple[date, date]],
             frequency_months: int, day_count: str, first_period_broken: bool,
             fixed_payment: Decimal | None = None, fixed_principal: Decimal | None = None) -> list[Installment]:
    """Build installments over given ``(period_start, due_date)`` periods (lower-level helper).

    Used by :func:`build_schedule` and by prepayment recomputation. ``fixed_payment`` overrides the
    annuity payment of ``equal_installment`` and ``fixed_principal`` the per-period principal of
    ``equal_principal``/``flat`` (the last installment still takes the residue). Inputs are assumed
    validated by the caller.
    """
    terms = _terms(principal, annual_rate, method, len(periods), frequency_months, day_count, first_period_broken,
                   fixed_payment, fixed_principal)
    installments: list[Installment] = []
    balance = principal
    for index, (period_start, due) in enumerate(periods):
        interest, part = _split(terms, balance, period_start, due, last=index == len(periods) - 1,
                                broken=first_period_broken and index == 0)
        part = round_fen(part)
        balance = round_fen(balance - part)
        installments.append(Installment(number=index + 1, due_date=due, period_start=period_start,
                                        principal=part, interest=interest, payment=part + interest,
                                        closing_balance=balance))
    return installments


def build_schedule(*, principal: Decimal, annual_rate: Decimal, method: str, term_months: int,
                   start_date: date, first_due_date: date | None = None, frequency_months: int = 1,
                   day_count: str = "ACT/360") -> Schedule:
    """Repayment schedule for a loan of ``principal`` CNY drawn on ``start_date``.

    ``method`` is one of :data:`METHODS` (see the module docstring for each method's formula and the
    rounding rule). ``term_months`` is the loan term; the number of installments is
    ``term_months / frequency_months`` (one for ``bullet``). ``frequency_months`` is 1, 3, 6 or 12
    (1 or 3 for ``interest_periodic``; ignored by ``bullet``). ``first_due_date``, if given and not
    exactly one period after ``start_date``, makes the first period a broken period whose interest
    accrues by ``day_count`` on the actual days; it must fall after ``start_date`` and no later than
    two periods after it. For ``bullet`` a ``first_due_date`` is the maturity date.

    Returns a :class:`Schedule`. Raises ``ValidationFailed`` (codes ``AMOUNT_INVALID``,
    ``RATE_NEGATIVE``, ``METHOD_UNSUPPORTED``, ``TERM_INVALID``, ``FREQUENCY_INVALID``,
    ``FIRST_DUE_DATE_INVALID``, ``DAY_COUNT_UNSUPPORTED``, ``NOT_DECIMAL``) for bad input.
    """
    principal = _decimal(principal, "principal")
    annual_rate = _decimal(annual_rate, "annual_rate")
    if principal <= 0 or principal != round_fen(principal):
        raise ValidationFailed("principal must be a positive amount in whole fen", code="AMOUNT_INVALID",
                               field="principal")
    if annual_rate < 0:
        raise ValidationFailed("annual_rate must not be negative", code="RATE_NEGATIVE", field="annual_rate")
    if method not in METHODS:
        raise ValidationFailed(f"method must be one of {', '.join(METHODS)}", code="METHOD_UNSUPPORTED",
                               field="method")
    _check_day_count(day_count)
    if not isinstance(term_months, int) or isinstance(term_months, bool) or term_months < 1:
        raise ValidationFailed("term_months must be a positive integer", code="TERM_INVALID",
                               field="term_months")
    if method == BULLET:
        frequency_months = term_months
    else:
        allowed = (1, 3) if method == INTEREST_PERIODIC else FREQUENCIES
        if frequency_months not in allowed:
            raise ValidationFailed(f"frequency_months must be one of {allowed} for {method}",
                                   code="FREQUENCY_INVALID", field="frequency_months")
        if term_months % frequency_months:
            raise ValidationFailed("term_months must be a multiple of frequency_months",
                                   code="TERM_INVALID", field="term_months")
    count = term_months // frequency_months

    broken = False
    if first_due_date is not None:
        if method == BULLET:
            if first_due_date <= start_date:
                raise ValidationFailed("maturity must be after start_date", code="FIRST_DUE_DATE_INVALID",
                                       field="first_due_date")
        else:
            if not start_date < first_due_date <= add_months(start_date, 2 * frequency_months):
                raise ValidationFailed("first_due_date must be after start_date and within two periods",
                                       code="FIRST_DUE_DATE_INVALID", field="first_due_date")
            broken = first_due_date != add_months(start_date, frequency_months)
    periods = _period_dates(start_date, first_due_date, frequency_months, count)
    installments = amortize(principal=principal, annual_rate=annual_rate, method=method, periods=periods,
                            frequency_months=frequency_months, day_count=day_count,
                            first_period_broken=broken)
    return Schedule(method=method, principal=principal, annual_rate=annual_rate, day_count=day_count,
                    installments=installments)
