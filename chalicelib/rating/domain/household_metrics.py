"""Household figures for rating (家庭评级要素): the one place that turns a filed household into the
numbers of the expert scorecard.

Pure domain code: takes a household as stored (the customers context's item, a ``dict``) and returns the
scorecard's facts. Never reads the clock: ``today`` is passed in. The money figures (total assets and
liabilities, net assets, gross and net income, expenses, credit-union shares) are the customers context's
(``chalicelib.customers.domain.figures``, through ``chalicelib.customers.public``): their rules are there, and
their names stay available here.

Rules decided here:

* **household size** (人口数) = number of members.
* **labourers** (劳动力人数) = members with ``labour_capacity`` ``"full"`` + half the members with
  ``"partial"`` (rounded down): two partial labourers (e.g. elderly parents still farming) count as one.
* **head age** (户主年龄) = completed years on ``today`` of the member ``head_member_id`` names (else the
  member with relation ``"head"``).
* **currently overdue** = the household's ``currently_overdue`` flag (set from the loan ledger by the
  loans subsystem; absent = False).

Amounts follow the customers context's rules (``float`` refused with ``INVALID_AMOUNT``).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.customers.public import (
    amount as _amount,
)
from chalicelib.customers.public import (
    credit_union_shares,
    gross_income,
    household_totals,
    net_assets,
    net_income,
    total_assets,
    total_expenses,
    total_liabilities,
)
from chalicelib.platform.errors import ValidationFailed
from chalicelib.rating.domain.rating_input import RatingInput

__all__ = ["STATISTICAL_FEATURES", "age_on", "credit_union_shares", "currently_overdue", "figures", "gross_income",
           "head_age", "head_member", "household_size", "labourers", "members", "net_assets", "net_income",
           "rating_input", "statistical_features", "summary", "total_assets", "total_expenses", "total_liabilities"]

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
    return {**household_totals(household), "credit_union_shares": credit_union_shares(household),
            "household_size": household_size(household), "labourers": labourers(household),
            "head_age": head_age(household, today)}


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
