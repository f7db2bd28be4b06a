"""What other contexts may use of the loans context: loan accounts, their installments, and the penalty-interest
rule of a loan's schedule. Post-loan reads loans through here; the rating context's village evaluation reads the
village's loan book (a reverse dependency, allowed for now: docs/decisions/0006-bounded-contexts-and-pynamodb.md).

A loan is a plain dict until the context's models are the interface (Phase B): ``{"loan_id", "drawdown_id",
"household_id", "org_path", "line_id", "product_code", "status" (active | closed | ...), "principal",
"outstanding_principal" (CNY, Decimal), "annual_rate", "start_date", "maturity_date", "next_due_date",
"next_due_amount", "village_code", "account_manager_id", ...}``; an installment ``{"number", "due_date",
"principal", "interest", "penalty", "paid_*", "status", ...}``.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.loans.data import loans as _loans
from chalicelib.loans.domain import servicing as _servicing

__all__ = ["accrue_penalties", "active_in_village", "active_loans_page", "for_household_unscoped", "get", "installments",
           "installments_of", "loan_shard", "loan_shards", "loans_by_id", "overdue_for_household"]


def get(loan_id: str) -> dict[str, Any] | None:
    """The loan account, or ``None``. Unscoped."""
    return _loans.get(loan_id)


def loans_by_id(loan_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The loans with these ids that exist, by id (read by key, 100 per request; strongly consistent). Unscoped."""
    return _loans.by_id(loan_ids)


def loan_shards() -> list[str]:
    """The shards of the active-loan queue (``"00"``..``"15"``): a post-loan job walks each in turn."""
    return _loans.shards()


def loan_shard(loan_id: str) -> str:
    """The shard of a loan in the active-loan queue (one of :func:`loan_shards`; a function of the id only, so it
    may shard other per-loan work the same way)."""
    return _loans.shard(loan_id)


def active_loans_page(shard: str, cursor: str | None, *, due_before: date | None = None, due_on: date | None = None,
                      limit: int | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the active loans of one shard (eventually consistent), by the due date of their first open
    installment: all of them, those due before ``due_before`` (overdue on that date) or exactly on ``due_on``.
    ``limit`` ``None``: as many as one DynamoDB page holds. Returns ``(loans, cursor)`` (``cursor`` ``None`` at the
    end; server-side only, never for clients)."""
    return _loans.active_page(shard, cursor, due_before=due_before, due_on=due_on, limit=limit)


def installments(loan_id: str) -> list[dict[str, Any]]:
    """The loan's installments (strongly consistent), in key order."""
    return _loans.installments(loan_id)


def installments_of(loans: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The installments of several loans, by loan id, in number order: read by key (BatchGetItem, 100 keys per
    request) instead of one query per loan."""
    return _loans.installments_of(loans)


def for_household_unscoped(household_id: str) -> list[dict[str, Any]]:
    """Every loan of the household (any status). Unscoped."""
    return _loans.for_household_unscoped(household_id)


def active_in_village(village_code: str) -> list[dict[str, Any]]:
    """Every active loan of the village (eventually consistent), in household order."""
    return _loans.active_in_village(village_code)


def overdue_for_household(household_id: str, today: str) -> list[dict[str, Any]]:
    """Active loans of the household whose first open installment fell due before ``today`` (ISO date)."""
    return _loans.overdue_for_household(household_id, today)


def accrue_penalties(installments: list[dict[str, Any]], today: date, *, annual_rate: Decimal, uplift: Decimal,
                     grace_days: int, day_count: str) -> list[dict[str, Any]]:
    """The installments with penalty interest accrued up to ``today`` (new dicts; the rule of
    ``chalicelib.loans.domain.servicing``: the loan's rate raised by ``uplift`` on overdue principal after
    ``grace_days``, ``day_count`` convention)."""
    return _servicing.accrue_penalties(installments, today, annual_rate=annual_rate, uplift=uplift,
                                       grace_days=grace_days, day_count=day_count)
