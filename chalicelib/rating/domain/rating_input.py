"""What a household is rated on (:class:`RatingInput`, the scorecard's inputs) and its village's averages
(:class:`VillageAverages`, the denominators of the ratio-to-village-mean indicators): pure domain values.

Money is ``Decimal`` CNY; a value that is not a number raises
:class:`chalicelib.platform.errors.ValidationFailed` with a stable code.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from chalicelib.platform.errors import ValidationFailed

_CENT = Decimal("0.01")


def _to_decimal(name: str, value: Any) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValidationFailed(f"{name} must be a Decimal amount, not {type(value).__name__}",
                               code="INVALID_AMOUNT", field=name)
    try:
        return Decimal(value) if not isinstance(value, Decimal) else value
    except Exception as exc:  # decimal.InvalidOperation, TypeError
        raise ValidationFailed(f"{name} is not a number: {value!r}", code="INVALID_AMOUNT", field=name) from exc


@dataclass(frozen=True)
class RatingInput:
    """One household's facts for the expert scorecard (农户评级采集要素).

    Fields (units):

    - ``household_size`` (int, persons, 人口数) and ``labourers`` (int, persons, 劳动力人数; <= size).
    - ``total_assets`` (家庭资产总值), ``net_assets`` (家庭净资产 = assets - debts, may be negative),
      ``credit_union_shares`` (信用社股金 held), ``net_income`` (上年家庭纯收入, CNY/year): ``Decimal`` CNY.
      ``int`` and numeric ``str`` are accepted and converted; ``float`` is refused (``INVALID_AMOUNT``).
    - ``committee_assessment`` (村委评议 / 综合评价): a category value of the scorecard, by default
      ``"excellent"`` (优秀) / ``"good"`` (较好) / ``"fair"`` (一般) / ``"poor"`` (差). Decision: the
      committee gives a category, never free points, so the points always come from the versioned
      scorecard; a manual override goes through :func:`grade_adjust`.
    - ``repayment_record`` (履约情况): by default ``"good"`` (正常履约), ``"none"`` (no borrowing
      history), ``"minor_late"`` (late but settled), ``"bad"`` (serious/repeated arrears).
    - ``head_age`` (int, years, 户主年龄 on the rating date), ``blacklisted`` (bool),
      ``currently_overdue`` (bool, any loan now past due), ``requested_term_years`` (int, term of the
      line in years, for the age + term knock-out).

    Raises ``ValidationFailed`` (``INVALID_AMOUNT``, ``INVALID_COUNT``) on construction.
    """

    household_size: int
    labourers: int
    total_assets: Decimal
    net_assets: Decimal
    credit_union_shares: Decimal
    net_income: Decimal
    committee_assessment: str
    repayment_record: str
    head_age: int
    blacklisted: bool
    currently_overdue: bool
    requested_term_years: int

    def __post_init__(self) -> None:
        for name in ("total_assets", "net_assets", "credit_union_shares", "net_income"):
            object.__setattr__(self, name, _to_decimal(name, getattr(self, name)))
        for name in ("household_size", "labourers", "head_age", "requested_term_years"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValidationFailed(f"{name} must be a non-negative integer", code="INVALID_COUNT", field=name)
        if self.labourers > self.household_size:
            raise ValidationFailed("labourers cannot exceed household_size", code="INVALID_COUNT", field="labourers")
        if self.total_assets < 0 or self.credit_union_shares < 0:
            field = "total_assets" if self.total_assets < 0 else "credit_union_shares"
            raise ValidationFailed(f"{field} cannot be negative", code="INVALID_AMOUNT", field=field)


@dataclass(frozen=True)
class VillageAverages:
    """Village means the relative indicators are scored against (当地平均值), CNY quantised to 0.01.

    ``household_count`` is the number of households averaged. Build with :func:`village_averages`.
    """

    household_count: int
    total_assets: Decimal
    net_assets: Decimal
    net_income: Decimal
    credit_union_shares: Decimal


def village_averages(inputs: Iterable[RatingInput]) -> VillageAverages:
    """Arithmetic means of the village's households (CNY, half-even to 0.01).

    Source: the published form scores total assets, net assets and net income "relative to the
    local average"; we take the village of the campaign as "local". Raises ``ValidationFailed``
    ``VILLAGE_EMPTY`` when no household is given.
    """
    items = list(inputs)
    if not items:
        raise ValidationFailed("cannot average an empty village", code="VILLAGE_EMPTY")
    n = Decimal(len(items))

    def mean(attr: str) -> Decimal:
        return (sum((getattr(i, attr) for i in items), Decimal(0)) / n).quantize(_CENT, ROUND_HALF_EVEN)

    return VillageAverages(household_count=len(items), total_assets=mean("total_assets"),
                           net_assets=mean("net_assets"), net_income=mean("net_income"),
                           credit_union_shares=mean("credit_union_shares"))


# --------------------------------------------------------------------------------------------------
