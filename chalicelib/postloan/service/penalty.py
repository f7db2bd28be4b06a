"""Job 2, ``penalty_accrual``: the day's penalty interest (罚息) on the overdue principal of every loan classified
overdue that day, computed with the loans context's own accrual
(:func:`chalicelib.loans.domain.servicing.accrue_penalties`: the loan's rate raised by its ``penalty_uplift``,
after ``grace_days``, on its day count) and recorded once per loan and date in the post-loan ledger with its audit
record."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.admin import public as jobs
from chalicelib.platform.errors import Conflict, DomainError
from chalicelib.postloan.data import postloan
from chalicelib.postloan.domain.postloan import ZERO
from chalicelib.postloan.service.common import Item, require_classified, skip


def _terms(loan: Item) -> dict[str, Any]:
    """The penalty terms of a loan item: ``annual_rate``, ``uplift`` (Decimal), ``grace_days``, ``day_count``."""
    return {"annual_rate": Decimal(str(loan["annual_rate"])), "uplift": Decimal(str(loan.get("penalty_uplift", "0.5"))),
            "grace_days": int(loan.get("grace_days", 0)), "day_count": loan.get("day_count", "ACT/360")}


def _accrue_one(jr: jobs.JobRun, state: Item, loan: Item, records: list[Item]) -> None:
    """Accrue one loan's penalty up to the run's date (nothing when nothing new is due)."""
    from chalicelib.loans.public import accrue_penalties

    day = jr.day
    try:
        terms = _terms(loan)
        accrued = accrue_penalties(records, day, annual_rate=terms["annual_rate"], uplift=terms["uplift"],
                                   grace_days=terms["grace_days"], day_count=terms["day_count"])
    except (KeyError, ValueError, TypeError, DomainError) as exc:
        skip(jr, loan, exc)
        return
    cumulative = sum((Decimal(str(r.get("penalty_accrued") or 0)) for r in accrued), ZERO)
    amount = cumulative - Decimal(str(state.get("penalty_accrued_total") or 0))
    if amount <= 0:
        jr.count("penalty_nothing_to_accrue")
        return
    since = state.get("penalty_accrued_through") or state.get("oldest_unpaid_due_date")
    days = (day - date.fromisoformat(since)).days if since else 0
    try:
        postloan.accrue_penalty(state, day=day, days=days, amount=amount, cumulative=cumulative, org_path=loan["org_path"],
                                basis={"overdue_principal": state.get("overdue_principal"), **terms,
                                       "cumulative": cumulative})
    except Conflict:
        jr.count("penalty_already_accrued")
        return
    jr.count("penalty_accrued")
    jr.count("penalty_fen", int(amount * 100))


def _accrue(jr: jobs.JobRun, items: list[Item]) -> None:
    """Accrue the penalty of the overdue loans of one page of an institution's at-risk states."""
    day = jr.day
    due = [s for s in items if s.get("status") == "active" and int(s.get("dpd") or 0) > 0
           and s.get("classified_on") == day.isoformat()
           and str(s.get("penalty_accrued_through") or "") < day.isoformat()]
    if not due:
        return
    loans = postloan.loans_by_id([s["loan_id"] for s in due])
    all_records = postloan.installments_for([ln for ln in loans.values() if ln.get("status") == "active"])
    for state in due:
        loan = loans.get(state["loan_id"])
        if loan is None or loan.get("status") != "active":
            continue
        _accrue_one(jr, state, loan, all_records.get(loan["loan_id"]) or [])


def penalty_job(jr: jobs.JobRun) -> dict[str, Any]:
    """The body of the ``penalty_accrual`` run of ``jr.day`` (needs that date's classification)."""
    require_classified(jr.day)
    jr.pages("accrue", postloan.institutions(), lambda i, c: postloan.risk_page(i, c),
             lambda _i, items: _accrue(jr, items))
    return {}
