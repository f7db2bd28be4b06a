"""Household figures for rating (家庭评级要素): the one place that turns a filed household into the
numbers of the expert scorecard.

Pure domain code: takes a household as stored (the customers subsystem's item, a ``dict``) and returns
``Decimal`` CNY figures and counts. Never reads the clock: ``today`` is passed in.

Rules (every one decided here, and only here):

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
* **household size** (人口数) = number of members.
* **labourers** (劳动力人数) = members with ``labour_capacity`` ``"full"`` + half the members with
  ``"partial"`` (rounded down): two partial labourers (e.g. elderly parents still farming) count as one.
* **head age** (户主年龄) = completed years on ``today`` of the member ``head_member_id`` names (else the
  member with relation ``"head"``).
* **currently overdue** = the household's ``currently_overdue`` flag (set from the loan ledger by the
  loans subsystem; absent = False).

Amounts may arrive as ``Decimal``, ``int`` or numeric ``str`` (DynamoDB returns ``Decimal``/``int``);
``float`` is refused (``INVALID_AMOUNT``), as everywhere in this code base.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.platform.errors import ValidationFailed
from chalicelib.rating.domain.rating_input import RatingInput

_CENT = Decimal("0.01")
#: Asset keys that are money although they do not end in ``_value``.
MONEY_ASSET_KEYS = frozenset({"deposits", "credit_union_shares"})


def _amount(value: Any, where: str) -> Decimal | None:
    """A money entry → Decimal; None for entries that are not numbers at all (ignored by the sums)."""
    kind = type(value)
    if kind is Decimal:
        return value
    if kind is int:
        return Decimal(value)
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


def _sum(section: Mapping[str, Any] | None, name: str, keys: Any = None) -> Decimal:
    total = Decimal(0)
    for key, value in (section or {}).items():
        if keys is not None and not keys(key):
            continue
        amount = _amount(value, f"{name}.{key}")
        if amount is not None:
            total += amount
    return total.quantize(_CENT)


def _is_money_asset(key: str) -> bool:
    return key.endswith("_value") or key in MONEY_ASSET_KEYS


def total_assets(household: Mapping[str, Any]) -> Decimal:
    """家庭资产总值: money assets (``*_value``, deposits, credit-union shares), land excluded."""
    return _sum(household.get("assets"), "assets", _is_money_asset)


def total_liabilities(household: Mapping[str, Any]) -> Decimal:
    """负债合计: every numeric entry of ``liabilities``."""
    return _sum(household.get("liabilities"), "liabilities")


def net_assets(household: Mapping[str, Any]) -> Decimal:
    """家庭净资产 = total assets − total liabilities."""
    return total_assets(household) - total_liabilities(household)


def gross_income(household: Mapping[str, Any]) -> Decimal:
    """家庭总收入: every numeric entry of ``income``."""
    return _sum(household.get("income"), "income")


def total_expenses(household: Mapping[str, Any]) -> Decimal:
    """家庭支出: every numeric entry of ``expenses``."""
    return _sum(household.get("expenses"), "expenses")


def net_income(household: Mapping[str, Any]) -> Decimal:
    """家庭纯收入 (as defined here) = income − expenses (production, living, other)."""
    return gross_income(household) - total_expenses(household)


def credit_union_shares(household: Mapping[str, Any]) -> Decimal:
    """信用社股金 held (``assets.credit_union_shares``), 0 when absent."""
    value = _amount((household.get("assets") or {}).get("credit_union_shares"), "assets.credit_union_shares")
    return (value or Decimal(0)).quantize(_CENT)


def members(household: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(household.get("members") or [])


def household_size(household: Mapping[str, Any]) -> int:
    """人口数 = number of members."""
    return len(members(household))


def labourers(household: Mapping[str, Any]) -> int:
    """劳动力人数 = full labourers + ⌊partial labourers / 2⌋."""
    full = sum(1 for m in members(household) if m.get("labour_capacity") == "full")
    partial = sum(1 for m in members(household) if m.get("labour_capacity") == "partial")
    return full + partial // 2


def head_member(household: Mapping[str, Any]) -> Mapping[str, Any]:
    """The head of household (户主): ``head_member_id``'s member, else relation ``"head"``.

    Raises ValidationFailed ``HOUSEHOLD_HEAD_MISSING``.
    """
    head_id = household.get("head_member_id")
    for m in members(household):
        if head_id and m.get("member_id") == head_id:
            return m
    for m in members(household):
        if m.get("relation") == "head":
            return m
    raise ValidationFailed("the household has no head member", code="HOUSEHOLD_HEAD_MISSING",
                           field="head_member_id")


def age_on(birth_date: date, today: date) -> int:
    """Completed years on ``today`` (a 29 Feb birthday completes a year on 1 Mar in non-leap years)."""
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def head_age(household: Mapping[str, Any], today: date) -> int:
    """户主年龄 on ``today``. Raises ValidationFailed ``HEAD_BIRTH_DATE_MISSING`` / ``HEAD_BIRTH_DATE_INVALID``."""
    raw = head_member(household).get("birth_date")
    if not raw:
        raise ValidationFailed("the head's birth date is missing", code="HEAD_BIRTH_DATE_MISSING",
                               field="members.birth_date")
    try:
        born = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError:
        raise ValidationFailed(f"the head's birth date {raw!r} is not an ISO date", code="HEAD_BIRTH_DATE_INVALID",
                               field="members.birth_date") from None
    if born > today:
        raise ValidationFailed("the head's birth date is in the future", code="HEAD_BIRTH_DATE_INVALID",
                               field="members.birth_date")
    return age_on(born, today)


def currently_overdue(household: Mapping[str, Any]) -> bool:
    """Any loan of the household now past due (flag kept on the household by the loans subsystem)."""
    return bool(household.get("currently_overdue", False))


def figures(household: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """Every derived figure of the household in one pass (the rules above): total assets and
    liabilities, net assets, gross income, total expenses, net income, credit-union shares (Decimal CNY),
    household size, labourers and head age (int). Stored on the rating so that it explains itself."""
    assets = total_assets(household)
    liabilities = total_liabilities(household)
    income = gross_income(household)
    expenses = total_expenses(household)
    return {"total_assets": assets, "total_liabilities": liabilities, "net_assets": assets - liabilities,
            "gross_income": income, "total_expenses": expenses, "net_income": income - expenses,
            "credit_union_shares": credit_union_shares(household), "household_size": household_size(household),
            "labourers": labourers(household), "head_age": head_age(household, today)}


def rating_input(household: Mapping[str, Any], *, today: date, requested_term_years: int,
                 figures_: Mapping[str, Any] | None = None) -> RatingInput:
    """The expert scorecard's input for one filed household (see the module docstring for every rule).

    ``requested_term_years`` feeds the age-plus-term knock-out: for a pre-approved revolving line it is
    the line's validity in years (credit-line policy ``line_validity_years``).

    Raises ValidationFailed: ``HOUSEHOLD_HEAD_MISSING``, ``HEAD_BIRTH_DATE_MISSING``,
    ``HEAD_BIRTH_DATE_INVALID``, ``INVALID_AMOUNT``, ``INVALID_COUNT``, ``RATING_FACT_MISSING`` (no
    committee assessment or repayment record).
    """
    for name in ("committee_assessment", "repayment_record"):
        if not household.get(name):
            raise ValidationFailed(f"the household file has no {name}", code="RATING_FACT_MISSING", field=name)
    f = figures_ if figures_ is not None else figures(household, today=today)
    return RatingInput(
        household_size=f["household_size"],
        labourers=f["labourers"],
        total_assets=max(f["total_assets"], Decimal(0)),
        net_assets=f["net_assets"],
        credit_union_shares=max(f["credit_union_shares"], Decimal(0)),
        net_income=f["net_income"],
        committee_assessment=str(household["committee_assessment"]),
        repayment_record=str(household["repayment_record"]),
        head_age=f["head_age"],
        blacklisted=bool(household.get("blacklisted", False)),
        currently_overdue=currently_overdue(household),
        requested_term_years=requested_term_years,
    )


def summary(household: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """Alias of :func:`figures` (the derived figures as one dict)."""
    return figures(household, today=today)


#: Household features a statistical challenger artifact may use (name → meaning). An artifact whose
#: ``features`` are not all in here cannot score households (see docs/decisions/0010-statistical-challenger.md).
STATISTICAL_FEATURES: dict[str, str] = {
    "household_size": "persons (人口数)",
    "labourers": "labour units (劳动力人数, rule above)",
    "head_age": "years (户主年龄)",
    "total_assets": "CNY",
    "total_liabilities": "CNY",
    "net_assets": "CNY",
    "net_income": "CNY/year (income − expenses)",
    "credit_union_shares": "CNY",
    "debt_to_assets": "total liabilities / total assets (None when assets are 0)",
    "contracted_land_mu": "mu (承包地)",
    "transferred_in_land_mu": "mu (流转地)",
    "committee_assessment": "category excellent|good|fair|poor",
    "repayment_record": "category good|none|minor_late|bad",
}


def statistical_features(household: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """Feature values of :data:`STATISTICAL_FEATURES` for a points-table challenger (numbers as Decimal)."""
    s = summary(household, today=today)
    assets = household.get("assets") or {}
    debt_ratio = None
    if s["total_assets"] > 0:
        debt_ratio = (s["total_liabilities"] / s["total_assets"]).quantize(Decimal("0.0001"))
    land = {k: _amount(assets.get(k), f"assets.{k}") for k in ("contracted_land_mu", "transferred_in_land_mu")}
    return {"household_size": s["household_size"], "labourers": s["labourers"], "head_age": s["head_age"],
            "total_assets": s["total_assets"], "total_liabilities": s["total_liabilities"],
            "net_assets": s["net_assets"], "net_income": s["net_income"],
            "credit_union_shares": s["credit_union_shares"], "debt_to_assets": debt_ratio,
            "contracted_land_mu": land["contracted_land_mu"], "transferred_in_land_mu": land["transferred_in_land_mu"],
            "committee_assessment": household.get("committee_assessment"),
            "repayment_record": household.get("repayment_record")}
