"""What the post-loan jobs share: the job names and their order, the prerequisite check, the loan's account
manager, the loans' facts, paging and the skip of a malformed item."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from chalicelib.admin import public as jobs
from chalicelib.platform.errors import DomainError
from chalicelib.postloan.data import postloan
from chalicelib.postloan.domain.postloan import LoanFacts, institution_of, loan_facts

CLASSIFICATION = "loan_classification"
PENALTY = "penalty_accrual"
INSPECTIONS = "inspections"
WARNING_SCAN = "warning_scan"
REMINDERS = "reminders"
JOBS = (CLASSIFICATION, PENALTY, INSPECTIONS, WARNING_SCAN, REMINDERS)
"""The daily post-loan jobs in their order (jobs 2-5 need job 1 of the same business date)."""

Item = dict[str, Any]
Page = tuple[list[Item], str | None]


class PrerequisiteNotMet(DomainError, jobs.NotYet):
    """A job ran before the classification of its business date completed (retry later)."""

    status = 409
    code = "PREREQUISITE_NOT_MET"


def require_classified(day: date) -> None:
    """Raise :class:`PrerequisiteNotMet` unless the classification of ``day`` has completed."""
    run = jobs.run_of(CLASSIFICATION, day)
    if not run or run.get("status") != "completed":
        raise PrerequisiteNotMet(f"the loan classification of {day} has not completed yet",
                                 details={"business_date": day.isoformat()})


def all_pages(fetch: Callable[[str | None], Page]) -> Iterator[Item]:
    """Every item of every page ``fetch(cursor) -> (items, next_cursor)``, first page first."""
    cursor: str | None = None
    while True:
        items, cursor = fetch(cursor)
        yield from items
        if not cursor:
            return


@functools.lru_cache(maxsize=256)
def _org_name(org_id: str) -> str:
    from chalicelib.admin import public as orgs

    org = orgs.get_org(org_id)
    return str(org["name"]) if org else org_id


def bank_name(org_path: str) -> str:
    """The name of the institution a loan or household belongs to (the sender of a notice)."""
    try:
        return _org_name(institution_of(org_path))
    except ValueError:
        return "农村信用社"


def loan_manager(loan: Item) -> str | None:
    """The account manager responsible for a loan (loan item field; see docs/notes/postloan-needs.md)."""
    return loan.get("account_manager_id") or loan.get("manager_id")


def household_loans(household_id: str) -> list[Item]:
    """Every loan of a household (any status, any scope)."""
    from chalicelib.loans import public as loans

    return loans.for_household_unscoped(household_id)


def household_manager(household_id: str) -> str | None:
    """The household's responsible account manager, else the manager of one of its active loans."""
    from chalicelib.customers import public as customers

    manager = customers.responsible_manager(customers.get_unscoped(household_id))
    if manager:
        return str(manager)
    for loan in household_loans(household_id):
        if loan.get("status") == "active" and loan_manager(loan):
            return loan_manager(loan)
    return None


def active_on(loan: Item, day: date) -> bool:
    """An active loan item that existed on ``day`` (a job replaying a past date ignores later loans)."""
    start = str(loan.get("start_date") or loan.get("disbursed_on") or "")
    return loan.get("kind") == "loan" and loan.get("status") == "active" and start <= day.isoformat()


def facts_of(loan: Item, day: date, records: list[Item] | None = None) -> LoanFacts:
    """Facts of a loan from its installments; without installment items, from the loan item's own
    ``next_due_date`` (the first open installment: the oldest unpaid one once it is past)."""
    item = dict(loan)
    if "installments" not in item:
        found = records if records is not None else postloan.installments(loan["loan_id"])
        if found:
            item["installments"] = found
        else:
            item.setdefault("oldest_unpaid_due_date", item.get("next_due_date"))
    return loan_facts(item, day)


def skip(jr: jobs.JobRun, item: Item, exc: Exception) -> None:
    """Count and log a malformed loan (or state) item; the run goes on."""
    from chalicelib.platform.observability import logger

    jr.count("loans_skipped")
    logger().warning("loan item skipped", extra={"loan_id": item.get("loan_id"), "error": f"{type(exc).__name__}: {exc}"})
