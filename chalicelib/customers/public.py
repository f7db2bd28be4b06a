"""What other contexts may use of the customers context: households (the filed household, its head, the account
manager responsible for it). Rating, loans and post-loan read households only through here (the context map in
docs/decisions/0006-bounded-contexts-and-pynamodb.md).

A household comes back as a plain dict (the attributes of ``chalicelib.customers.data.models.Household``, its
``state()``: key attributes left out) until the models themselves are the interface: ``{"household_id",
"village_code", "org_path", "status" (draft | submitted | verified), "version", "members": [{"member_id",
"relation" (head | spouse | ...), "name", "birth_date", ...}], "account_manager_id"?, "collected_by"?, "income",
"assets", "liabilities", "expenses" (maps of Decimal CNY), ...}``.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.customers.data import households as _households
from chalicelib.customers.domain.figures import (
    amount,
    credit_union_shares,
    gross_income,
    net_assets,
    net_income,
    total_assets,
    total_expenses,
    total_liabilities,
)
from chalicelib.customers.domain.figures import totals as household_totals
from chalicelib.platform.access import Principal

__all__ = ["amount", "credit_union_shares", "get", "get_unscoped", "gross_income", "head", "head_birth_date",
           "household_totals", "household_village", "households_by_id", "list_by_village", "net_assets",
           "net_income", "responsible_manager", "total_assets", "total_expenses", "total_liabilities"]

# The household's money figures (``chalicelib.customers.domain.figures``: the rules, Decimal CNY):
# ``household_totals(household)`` → {total_assets, total_liabilities, net_assets, gross_income, total_expenses,
# net_income}; the single figures and ``amount`` (one entry → Decimal, float refused) for the rating's facts.


def get(principal: Principal, household_id: str) -> dict[str, Any]:
    """The household if it exists and is in the caller's scope; NotFound ``HOUSEHOLD_NOT_FOUND`` otherwise (the
    same answer for a foreign and an unknown id)."""
    return _households.get(principal, household_id)


def get_unscoped(household_id: str) -> dict[str, Any] | None:
    """The household, or ``None``. Unscoped: system tasks and checks of an already authorised request."""
    return _households.get_unscoped(household_id)


def household_village(household_id: str) -> str | None:
    """The village code of the household, or ``None`` when there is no such household."""
    item = _households.get_unscoped(household_id)
    return str(item["village_code"]) if item and item.get("village_code") else None


def list_by_village(village_code: str) -> list[dict[str, Any]]:
    """Every household filed for the village (unscoped; campaign tasks)."""
    return _households.list_by_village(village_code)


def households_by_id(ids: list[str]) -> dict[str, dict[str, Any]]:
    """Households by id (one BatchGetItem per 100 ids); ids without a household are left out."""
    if not ids:
        return {}
    return _households.households_by_id(ids)


def responsible_manager(household: dict[str, Any] | None) -> str | None:
    """The account manager responsible for a household (管户客户经理): its ``account_manager_id`` when set, else the
    account manager who filed it (``collected_by``); ``None`` if neither."""
    for name in ("account_manager_id", "collected_by"):
        if (household or {}).get(name):
            return str((household or {})[name])
    return None


def head(household: dict[str, Any]) -> dict[str, Any] | None:
    """The member whose ``relation`` is ``head`` (户主), or ``None``."""
    return next((m for m in household.get("members") or [] if m.get("relation") == "head"), None)


def head_birth_date(household: dict[str, Any]) -> date | None:
    """The head's date of birth, or ``None`` when unknown."""
    member = head(household)
    return date.fromisoformat(member["birth_date"]) if member and member.get("birth_date") else None
