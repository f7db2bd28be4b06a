"""Interest and annuity arithmetic of the repayment schedules (pure, no I/O): rounding to the fen, day counts,
interest accrual, and the annuity functions (equivalents of PMT / IPMT / PPMT). Units, conventions and sources in
:mod:`chalicelib.loans.domain.schedules`."""
from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from chalicelib.platform.errors import ValidationFailed

FEN = Decimal("0.01")
ZERO = Decimal("0.00")

DAY_COUNTS = ("ACT/360", "ACT/365", "30/360")

_HIGH_PRECISION = 50  # significant digits used inside annuity arithmetic before rounding to the fen


# --------------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------------
def round_fen(amount: Decimal) -> Decimal:
    """Round a ``Decimal`` amount half-up to the fen (0.01 CNY)."""
    return Decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, int)):
        raise ValidationFailed(f"{name} must be a Decimal (or int), not {type(value).__name__}",
                               code="NOT_DECIMAL", field=name)
    result = Decimal(value)
    if not result.is_finite():
        raise ValidationFailed(f"{name} must be finite", code="NOT_DECIMAL", field=name)
    return result


def _check_day_count(day_count: str) -> None:
    if day_count not in DAY_COUNTS:
        raise ValidationFailed(f"day_count must be one of {', '.join(DAY_COUNTS)}",
                               code="DAY_COUNT_UNSUPPORTED", field="day_count")


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months, clamping the day to the target month's last day."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def year_fraction(start: date, end: date, day_count: str = "ACT/360") -> Decimal:
    """Fraction of a year from ``start`` (inclusive) to ``end`` (exclusive) under ``day_count``.

    ``ACT/360``: actual days / 360; ``ACT/365``: actual days / 365; ``30/360``: ISDA 2006
    section 4.16(f) (D1 = 31 → 30; D2 = 31 and D1 ≥ 30 → 30) / 360. Raises ``ValidationFailed``
    (``DAY_COUNT_UNSUPPORTED``, ``DATE_ORDER``) for an unknown day count or ``end < start``.
    """
    _check_day_count(day_count)
    if end < start:
        raise ValidationFailed("end date is before start date", code="DATE_ORDER", field="end")
    if day_count == "ACT/360":
        return Decimal((end - start).days) / Decimal(360)
    if day_count == "ACT/365":
        return Decimal((end - start).days) / Decimal(365)
    d1, d2 = min(start.day, 30), end.day
    if d2 == 31 and d1 == 30:
        d2 = 30
    days = 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)
    return Decimal(days) / Decimal(360)


def accrue_interest(principal: Decimal, annual_rate: Decimal, start: date, end: date,
                    day_count: str = "ACT/360") -> Decimal:
    """Simple interest on ``principal`` (CNY) from ``start`` to ``end`` (end exclusive), in CNY.

    ``principal × annual_rate × year_fraction(start, end, day_count)``, rounded half-up to the fen.
    Under the default ACT/360 this is ``principal × days × (annual_rate / 360)``, the daily-interest
    rule of draw-and-repay revolving lines (随借随还: 日利率 = 年利率 / 360 as in the PBOC 人民币利率管理规定,
    银发〔1999〕77号; article number not re-checked against the official text). Interest for the day of drawing is charged,
    the
    day of repayment is not.

    Raises ``ValidationFailed`` for a negative principal or rate, float input, ``end < start`` or an
    unknown day count.
    """
    principal = _decimal(principal, "principal")
    annual_rate = _decimal(annual_rate, "annual_rate")
    if principal < 0:
        raise ValidationFailed("principal must not be negative", code="AMOUNT_NEGATIVE", field="principal")
    if annual_rate < 0:
        raise ValidationFailed("annual_rate must not be negative", code="RATE_NEGATIVE", field="annual_rate")
    return round_fen(principal * annual_rate * year_fraction(start, end, day_count))


# --------------------------------------------------------------------------------------------------
# annuity mathematics (unrounded; equivalents of PMT / IPMT / PPMT)
# --------------------------------------------------------------------------------------------------
def _check_when(when: str) -> None:
    if when not in ("end", "begin"):
        raise ValidationFailed("when must be 'end' or 'begin'", code="WHEN_INVALID", field="when")


def annuity_payment(principal: Decimal, periodic_rate: Decimal, periods: int, *,
                    when: str = "end") -> Decimal:
    """Constant payment that repays ``principal`` over ``periods`` periods at ``periodic_rate``.

    Returns a positive, **unrounded** ``Decimal`` (computed with 50 significant digits); round it
    with :func:`round_fen` for money. ``when="end"`` (ordinary annuity, the 等额本息 convention):
    ``A = P·r / (1 − (1 + r)^−n)``; ``when="begin"`` (annuity due): ``A / (1 + r)``; ``r = 0``:
    ``P / n``. Same formula as numpy-financial ``pmt`` and spreadsheet ``PMT`` (sign flipped: they
    return the payment as a negative cash flow).

    Raises ``ValidationFailed`` if ``periods < 1``, ``periodic_rate <= -1`` or inputs are floats.
    """
    principal = _decimal(principal, "principal")
    rate = _decimal(periodic_rate, "periodic_rate")
    _check_when(when)
    if not isinstance(periods, int) or isinstance(periods, bool) or periods < 1:
        raise ValidationFailed("periods must be a positive integer", code="PERIODS_INVALID", field="periods")
    if rate <= -1:
        raise ValidationFailed("periodic_rate must be greater than -1", code="RATE_INVALID", field="periodic_rate")
    with localcontext() as ctx:
        ctx.prec = _HIGH_PRECISION
        if rate == 0:
            return principal / periods
        growth = (1 + rate) ** periods
        payment = principal * rate * growth / (growth - 1)
        if when == "begin":
            payment = payment / (1 + rate)
        return payment


def _balance_after(principal: Decimal, rate: Decimal, payment: Decimal, paid: int, when: str) -> Decimal:
    """Outstanding balance after ``paid`` payments (unrounded, inside a high-precision context)."""
    if rate == 0:
        return principal - payment * paid
    growth = (1 + rate) ** paid
    factor = (growth - 1) / rate
    if when == "begin":
        factor = factor * (1 + rate)
    return principal * growth - payment * factor


def interest_portion(principal: Decimal, periodic_rate: Decimal, periods: int, period: int, *,
                     when: str = "end") -> Decimal:
    """Interest part of payment number ``period`` (1-based) of an annuity; unrounded, positive.

    ``when="end"``: ``r × balance after period−1 payments``; ``when="begin"``: 0 for period 1 and
    ``r × balance / (1 + r)`` afterwards. Equivalent of numpy-financial ``ipmt`` / spreadsheet
    ``IPMT`` (sign flipped). Raises ``ValidationFailed`` for ``period`` outside ``1..periods``.
    """
    if not isinstance(period, int) or not 1 <= period <= periods:
        raise ValidationFailed("period must be between 1 and periods", code="PERIOD_INVALID", field="period")
    payment = annuity_payment(principal, periodic_rate, periods, when=when)
    rate = Decimal(periodic_rate)
    with localcontext() as ctx:
        ctx.prec = _HIGH_PRECISION
        if when == "begin":
            if period == 1:
                return Decimal(0)
            return _balance_after(Decimal(principal), rate, payment, period - 1, when) * rate / (1 + rate)
        return _balance_after(Decimal(principal), rate, payment, period - 1, when) * rate


def principal_portion(principal: Decimal, periodic_rate: Decimal, periods: int, period: int, *,
                      when: str = "end") -> Decimal:
    """Principal part of payment ``period``: payment − interest part; unrounded, positive.

    Equivalent of numpy-financial ``ppmt`` / spreadsheet ``PPMT`` (sign flipped).
    """
    payment = annuity_payment(principal, periodic_rate, periods, when=when)
    interest = interest_portion(principal, periodic_rate, periods, period, when=when)
    with localcontext() as ctx:
        ctx.prec = _HIGH_PRECISION
        return payment - interest
