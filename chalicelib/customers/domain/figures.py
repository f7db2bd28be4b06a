"""Household figures (家庭财务数字): the one place that adds up a filed household's money. Pure domain code.

A household as stored (the customers context's item, a ``dict``) → ``Decimal`` CNY figures, quantised to
0.01. The rating context maps these figures to the scorecard's facts (``chalicelib.rating.domain.
household_metrics``, through ``chalicelib.customers.public``); the household API answers them as ``totals``.

Rules (decided here, and only here):

* **total assets** (家庭资产总值) = sum of the ``assets`` entries that are money: every key ending in
  ``_value`` (house, livestock, machinery, vehicles, ...) plus ``deposits`` (存款) and
  ``credit_union_shares`` (信用社股金). Land (``*_mu``, contracted or transferred-in land in mu) is an
  area, not money, and is **not** counted: contracted-land use rights have no market valuation in the
  household file and cannot normally be mortgaged. Non-numeric or unknown entries are ignored.
* **total liabilities** (负债) = sum of every numeric ``liabilities`` entry (``bank_loans``,
  ``informal_borrowing``, and any further debt the file lists; every liability is money).
* **net assets** (家庭净资产) = total assets − total liabilities (may be negative).
* **net income** (家庭纯收入, last year) = sum of ``income`` entries (crops, livestock, business, wages,
  subsidies) − sum of ``expenses`` entries (production, living, other). Living expenses are deducted
  too, as the product brief defines it ("income − expenses"): this is the household's yearly surplus,
  more conservative than the statistics bureau's 纯收入 (which deducts production costs only).

Amounts may arrive as ``Decimal``, ``int`` or numeric ``str`` (DynamoDB returns ``Decimal``/``int``);
``float`` is refused (``INVALID_AMOUNT``), as everywhere in this code base.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.platform.errors import ValidationFailed

_CENT = Decimal("0.01")
#: Asset keys that are money although they do not end in ``_value``.
MONEY_ASSET_KEYS = frozenset({"deposits", "credit_union_shares"})


def amount(value: Any, where: str) -> Decimal | None:
    """A money (or measure) entry → ``Decimal``; ``None`` for entries that are no number at all (a list, a map,
    a bool, ``None``: ignored by the sums). Raises ValidationFailed ``INVALID_AMOUNT`` (field ``where``) for a
    float or a string that is not a number."""
    if type(value) is Decimal:
        return value
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    if isinstance(value, float):
        raise ValidationFailed(f"{where} must be a Decimal amount, not float", code="INVALID_AMOUNT", field=where)
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValidationFailed(f"{where} is not a number: {value!r}", code="INVALID_AMOUNT", field=where) from None
    return None


def _sum(section: Mapping[str, Any] | None, name: str, keys: Callable[[str], bool] | None = None) -> Decimal:
    total = Decimal(0)
    for key, value in (section or {}).items():
        if keys is not None and not keys(key):
            continue
        found = amount(value, f"{name}.{key}")
        if found is not None:
            total += found
    return total.quantize(_CENT)


def _is_money_asset(key: str) -> bool:
    return key.endswith("_value") or key in MONEY_ASSET_KEYS


def total_assets(household: Mapping[str, Any]) -> Decimal:
    """家庭资产总值 (CNY): money assets (``*_value``, deposits, credit-union shares), land excluded."""
    return _sum(household.get("assets"), "assets", _is_money_asset)


def total_liabilities(household: Mapping[str, Any]) -> Decimal:
    """负债合计 (CNY): every numeric entry of ``liabilities``."""
    return _sum(household.get("liabilities"), "liabilities")


def net_assets(household: Mapping[str, Any]) -> Decimal:
    """家庭净资产 (CNY) = total assets − total liabilities."""
    return total_assets(household) - total_liabilities(household)


def gross_income(household: Mapping[str, Any]) -> Decimal:
    """家庭总收入 (CNY/year): every numeric entry of ``income``."""
    return _sum(household.get("income"), "income")


def total_expenses(household: Mapping[str, Any]) -> Decimal:
    """家庭支出 (CNY/year): every numeric entry of ``expenses``."""
    return _sum(household.get("expenses"), "expenses")


def net_income(household: Mapping[str, Any]) -> Decimal:
    """家庭纯收入 (as defined here, CNY/year) = income − expenses (production, living, other)."""
    return gross_income(household) - total_expenses(household)


def credit_union_shares(household: Mapping[str, Any]) -> Decimal:
    """信用社股金 held (``assets.credit_union_shares``, CNY), 0 when absent."""
    value = amount((household.get("assets") or {}).get("credit_union_shares"), "assets.credit_union_shares")
    return (value or Decimal(0)).quantize(_CENT)


def totals(household: Mapping[str, Any]) -> dict[str, Decimal]:
    """The household's money figures in one dict (CNY, 0.01): ``total_assets``, ``total_liabilities``,
    ``net_assets``, ``gross_income``, ``total_expenses``, ``net_income`` (the rules above)."""
    assets, liabilities = total_assets(household), total_liabilities(household)
    income, expenses = gross_income(household), total_expenses(household)
    return {"total_assets": assets, "total_liabilities": liabilities, "net_assets": assets - liabilities,
            "gross_income": income, "total_expenses": expenses, "net_income": income - expenses}
